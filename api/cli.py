"""The `avatarfarm` command line: serve, db, and sub-commands contributed by other packages (the fakes)."""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Protocol, cast

from pydantic import SecretStr

from farm.credential_strength import weakness
from farm.settings import ENV_PREFIX, Settings, SettingsError, load_settings
from state.migrations import SchemaError

if TYPE_CHECKING:
    from state.professors_repository import ProfessorAccount
    from state.repository import Repository

PLUGIN_GROUP = "avatarfarm.commands"
BUILT_IN = ("serve", "db", "demo", "node", "professors", "doctor")
GRACEFUL_SHUTDOWN_SECONDS = 10


class CommandModule(Protocol):
    """What a module registered under the `avatarfarm.commands` entry-point group provides."""

    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


class UsageError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def _plugin_commands(only: str | None = None) -> dict[str, CommandModule]:
    """Load the contributed commands (just `only` when given, so other commands import nothing extra)."""
    commands: dict[str, CommandModule] = {}
    for ep in entry_points(group=PLUGIN_GROUP):
        if only is not None and ep.name != only:
            continue
        try:
            module = ep.load()
        except ImportError as exc:  # a broken plugin must not take the whole CLI down
            print(f"avatarfarm: command {ep.name!r} unavailable: {exc}", file=sys.stderr)
            continue
        commands[ep.name] = cast(CommandModule, module)
    return commands


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    for name in ("host", "port", "data_dir"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise UsageError(f"configuration error: {exc}") from None


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.auth import announce_token, ensure_api_token
    from api.listening import KEEP_ALIVE_SECONDS, PortTaken, bind
    from api.secrets_at_rest import check_secrets
    from farm.factory import browser_farm
    from state.private_files import PrivateFileError
    from state.secret_box import SecretKeyError

    settings = _settings(args)
    _configure_logging(args.log_level)
    # `kill -USR1 <pid>` writes every thread's Python stack to the log: where a stuck manager is stuck. To the
    # process's own standard error, which has a file descriptor even where sys.stderr is replaced (in tests).
    faulthandler.register(signal.SIGUSR1, file=sys.__stderr__ or sys.stderr, all_threads=True)
    try:
        token = ensure_api_token(settings)
        asyncio.run(check_secrets(settings))
    except (PrivateFileError, SecretKeyError) as exc:
        raise UsageError(str(exc)) from None
    announcement = announce_token(token, to_terminal=sys.stdout.isatty())
    if announcement:
        print(announcement, flush=True)
    settings = settings.model_copy(update={"api_token": SecretStr(token.value)})
    if settings.webhook_targets:
        from farm.webhooks.secret import announce_secret, ensure_webhook_secret

        try:
            secret = ensure_webhook_secret(settings)
        except PrivateFileError as exc:
            raise UsageError(str(exc)) from None
        said = announce_secret(secret, to_terminal=sys.stdout.isatty())
        if said:
            print(said, flush=True)
    try:
        sock = bind(settings.host, settings.port)
    except PortTaken as exc:
        raise UsageError(str(exc)) from None
    app = create_app(settings, farm_factory=browser_farm)
    print(
        f"avatarfarm serving on http://{settings.host}:{settings.port}  "
        f"(Zoom: {settings.zoom_mode.value} at {settings.zoom_api_base}; "
        f"LiveAvatar: {settings.liveavatar_mode.value} at {settings.liveavatar_api_base})",
        flush=True,
    )
    if settings.zoom_mode.value == "live":
        from api.zoom_sdk_version import zoom_sdk_version

        print(f"avatarfarm: {zoom_sdk_version().in_words()}", flush=True)
    _tell_silent_sim_services(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        # Not uvloop: its spawn (Playwright's driver) runs Python after-fork code in the child, which can deadlock
        # there when another thread holds the interpreter's thread-state lock (uvloop issue #749, fakes/serving.py).
        loop="asyncio",
        log_level=args.log_level,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        access_log=args.log_level == "debug",
        # Forwarded headers are believed only from AVATARFARM_TRUSTED_PROXIES (api/forwarded_headers.py).
        proxy_headers=False,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _tell_silent_sim_services(settings: Settings) -> None:
    """In sim mode, one line when the simulated Zoom or LiveAvatar does not answer (bots would all fail)."""
    from api.sim_services import silence_in_words, silent_services

    silent = asyncio.run(silent_services(settings))
    if silent:
        print(f"avatarfarm: not ready: {silence_in_words(silent)} (/readyz says 503 until then)", file=sys.stderr)


async def _db_migrate(settings: Settings) -> str:
    import aiosqlite

    from state.migrations import latest_version, migrate

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(settings.database_path, isolation_level=None) as conn:
        await conn.execute("PRAGMA journal_mode = WAL")
        before, after = await migrate(conn)
    if before == after:
        return f"{settings.database_path}: already at schema version {after} (latest {latest_version()})"
    return f"{settings.database_path}: migrated from schema version {before} to {after}"


async def _db_show(settings: Settings) -> str:
    from state.database import Database
    from state.repository import Repository

    if not settings.database_path.exists():
        raise UsageError(f"no database at {settings.database_path} yet (run `avatarfarm db migrate` or serve)")
    db = await Database.open(settings.database_path, apply_migrations=False)
    try:
        repository = Repository(db)
        counts = await repository.sessions.status_counts()
        sessions = await repository.sessions.all(limit=10)
        usage = await repository.sessions.total_usage()
        lines = [
            f"database        {settings.database_path}",
            f"schema version  {await db.schema_version()}",
            f"events          {await repository.events.last_id()}",
            f"avatar usage    {usage.minutes:.1f} min, {usage.credits:.1f} credits",
        ]
        for kind in ("sessions", "rooms", "avatar_sessions"):
            shown = ", ".join(f"{status} {n}" for status, n in sorted(counts[kind].items())) or "none"
            lines.append(f"{kind:<15} {shown}")
        if sessions:
            lines.append("latest sessions:")
        for session in sessions:
            live = sum(room.status.value == "live" for room in session.rooms)
            lines.append(
                f"  {session.id}  {session.status.value:<7} {live}/{len(session.rooms)} rooms live  "
                f"{session.professor.name} · {session.course.name}"
            )
        return "\n".join(lines)
    finally:
        await db.close()


# ASCII digits only: `\d` would take other scripts' digits too.
_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([smhdw])$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> float:
    """Seconds in `text` such as 30d, 12h, 90m, 2w or 45s."""
    match = _DURATION.match(text.strip())
    if not match:
        raise UsageError(
            f"--older-than {text!r} is not a duration: a number and one of s, m, h, d, w (for example 30d)"
        )
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


async def _db_prune(settings: Settings, older_than: str | None) -> str:
    from datetime import UTC, datetime

    from state.database import Database
    from state.repository import Repository
    from state.retention import forget_ended_before

    cutoff = None if older_than is None else time.time() - parse_duration(older_than)
    if not settings.database_path.exists():
        raise UsageError(f"no database at {settings.database_path} yet (nothing to prune)")
    said: list[str] = []
    db = await Database.open(settings.database_path, apply_migrations=False)
    try:
        if cutoff is not None:
            result = await Repository(db).events.prune(ended_before=cutoff, webhook_urls=settings.webhook_targets)
            when = datetime.fromtimestamp(cutoff, UTC).strftime("%Y-%m-%d %H:%M UTC")
            if not result.sessions:
                said.append(f"nothing to prune: no session ended before {when}")
            else:
                said.append(
                    f"pruned {result.events} event{'s' if result.events != 1 else ''} of {result.sessions} "
                    f"session{'s' if result.sessions != 1 else ''} ended before {when}, and "
                    f"{result.webhook_messages} delivered webhook message{'s' if result.webhook_messages != 1 else ''}"
                    f"; kept {result.kept} events (the status changes their reports are built from, and any a "
                    "webhook receiver has yet to get)"
                )
        days = settings.retention_days
        forgotten = await forget_ended_before(db, ended_before=time.time() - days * 86400)
    finally:
        await db.close()
    if forgotten.anything:
        said.append(
            f"retention ({days:g} days, {ENV_PREFIX}RETENTION_DAYS): removed the students' data of "
            f"{forgotten.sessions} session{'s' if forgotten.sessions != 1 else ''} ended before then "
            f"({forgotten.transcripts} transcript lines, {forgotten.events} events)"
        )
    elif older_than is None:
        said.append(f"nothing to remove: no session ended more than {days:g} days ago ({ENV_PREFIX}RETENTION_DAYS)")
    return "\n".join(said)


def _db(args: argparse.Namespace) -> int:
    settings = _settings(args)
    try:
        if args.db_command == "prune":
            print(asyncio.run(_db_prune(settings, args.older_than)))
        else:
            action = _db_migrate if args.db_command == "migrate" else _db_show
            print(asyncio.run(action(settings)))
    except SchemaError as exc:
        raise UsageError(str(exc)) from None
    return 0


async def _professors_action(settings: Settings, args: argparse.Namespace) -> str:
    from api.professor_tokens import add_professor, ensure_token_key
    from state.database import Database
    from state.private_files import secure_database_files
    from state.professors_repository import EmailTaken
    from state.repository import NotFound, Repository

    secure_database_files(settings.database_path)
    db = await Database.open(settings.database_path)
    try:
        repository = Repository(db)
        if args.professors_command == "add":
            name, email = " ".join(args.name.split()), args.email.strip()
            if not name or "@" not in email or len(email) > 254 or len(name) > 200:
                raise UsageError("give the professor's name (up to 200 characters) and email address")
            try:
                professor, _, token = await add_professor(
                    repository.professors, ensure_token_key(settings), name=name, email=email
                )
            except EmailTaken:
                raise UsageError(f"a professor with the email {email} exists already") from None
            shown = (
                token if sys.stdout.isatty() or args.show_token else "(not printed: not a terminal; use --show-token)"
            )
            return (
                f"added {professor.name} <{professor.email}> as {professor.id}\nfirst API token (shown once): {shown}"
            )
        if args.professors_command == "list":
            lines = []
            for p in await repository.professors.all():
                state = "disabled" if p.disabled_at is not None else "enabled"
                lines.append(f"{p.id:<18} {p.role:<9} {state:<8} {p.name} <{p.email or '-'}>")
            return "\n".join(lines)
        found = await repository.professors.by_email(args.email.strip())
        if found is None:
            raise UsageError(f"no professor has the email {args.email.strip()}")
        if args.professors_command == "profile":
            return await _keep_profile(repository, found, args)
        try:
            professor = await repository.professors.set_disabled(found.id, args.professors_command == "disable")
        except NotFound:
            raise UsageError("the administrator cannot be disabled") from None
        state = "disabled" if professor.disabled_at is not None else "enabled"
        return f"{state} {professor.name} <{professor.email}>"
    finally:
        await db.close()


async def _keep_profile(repository: Repository, professor: ProfessorAccount, args: argparse.Namespace) -> str:
    """The professor's own clone, which their sessions use unless they name others (PUT /api/me/profile)."""
    from pydantic import ValidationError

    from api.errors import friendly_message
    from api.professor_schemas import ProfileIn

    try:
        profile = ProfileIn(
            avatar_id=args.avatar_id.strip(),
            voice_id=(args.voice_id or "").strip() or None,
            teaching_style=(args.teaching_style or "").strip() or None,
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"--{'-'.join(map(str, e['loc'])).replace('_', '-')}: {friendly_message(dict(e))}" for e in exc.errors()
        )
        raise UsageError(problems) from None
    kept = await repository.professors.set_profile(
        professor.id, avatar_id=profile.avatar_id, voice_id=profile.voice_id, teaching_style=profile.teaching_style
    )
    voice = f", voice {kept.voice_id}" if kept.voice_id else ""
    return f"{kept.name} <{kept.email}>: avatar {kept.avatar_id}{voice} (LiveAvatar checks it when a session starts)"


def _professors(args: argparse.Namespace) -> int:
    settings = _settings(args)
    try:
        print(asyncio.run(_professors_action(settings, args)))
    except SchemaError as exc:
        raise UsageError(str(exc)) from None
    return 0


def _node(args: argparse.Namespace) -> int:
    from farm.browsers.browser_node import BOT_ARGS
    from farm.browsers.node_server import NodeConfig, main_sync
    from farm.browsers.node_settings import load_node_settings

    token = args.token or os.environ.get(f"{ENV_PREFIX}BROWSER_NODE_TOKEN", "")
    if not token:
        raise UsageError(f"a browser node needs a token (--token or {ENV_PREFIX}BROWSER_NODE_TOKEN)")
    why = weakness(token)
    if why is not None:
        raise UsageError(f"the browser node's token {why}")
    if args.max_bots is not None and args.max_bots < 1:
        raise UsageError("--max-bots must be at least 1")
    try:
        egress = load_node_settings().egress_rules()
    except SettingsError as exc:
        raise UsageError(f"configuration error: {exc}") from None
    _configure_logging(args.log_level)
    config = NodeConfig(
        host=args.host, port=args.port, token=token, max_bots=args.max_bots, bot_args=BOT_ARGS, egress=egress
    )
    return main_sync(config)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with `command` set to a built-in command, contributed commands are not loaded."""
    parser = argparse.ArgumentParser(
        prog="avatarfarm",
        description="An AI clone of a professor in every Zoom breakout room. Settings come from AVATARFARM_* "
        "environment variables and .env (see README); options given here win.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser(
        "serve",
        help="run the REST API, the event stream and the farm (until Ctrl-C or SIGTERM)",
        description="Run the REST API, the event stream and the farm on one event loop. Prints the API token "
        "once when it is generated. Ctrl-C or SIGTERM leaves every meeting before exiting.",
    )
    serve.add_argument("--host", help="interface to listen on (AVATARFARM_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (AVATARFARM_PORT, default 8800)")
    serve.add_argument("--data-dir", help="where the database and API token live (AVATARFARM_DATA_DIR, ./var)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(handler=_serve)

    db = sub.add_parser(
        "db",
        help="migrate or inspect the state database",
        description="Work on the SQLite state database under AVATARFARM_DATA_DIR.",
    )
    db.add_argument("--data-dir", help="where the database lives (AVATARFARM_DATA_DIR, default ./var)")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("migrate", help="bring the database to the latest schema (creating it if needed)")
    db_sub.add_parser("show", help="print the schema version, counts by status and the latest sessions")
    prune = db_sub.add_parser(
        "prune",
        help="apply the retention period; delete the events of sessions that ended long ago",
        description="Remove what students said and who they were (transcripts, events, names and notes) from "
        "sessions that ended more than AVATARFARM_RETENTION_DAYS ago (180 by default; the server does this "
        "itself every few hours). With --older-than, also delete the events of sessions that ended more than "
        "DURATION ago: console lines, page "
        "errors, avatar notes, commands. Kept: each room's status changes and avatar drops (the session "
        "report is built from them), events a webhook receiver has yet to get, and everything of a session "
        "that has not ended. The webhook messages of the pruned events go too once every receiver is done "
        "with them. Transcripts, talk time and usage are never pruned.",
    )
    prune.add_argument(
        "--older-than",
        metavar="DURATION",
        help="also prune events older than this: e.g. 30d, 12h, 2w (s, m, h, d or w)",
    )
    db.set_defaults(handler=_db)

    professors = sub.add_parser(
        "professors",
        help="add, list, disable or enable professors (the administrator's work, from the shell)",
        description="Manage the professors of this avatarfarm in its database under AVATARFARM_DATA_DIR. "
        "`add` prints the professor's first API token once (hand it to them; they make more in the dashboard "
        "or with POST /api/tokens). A disabled professor's tokens and sign-ins stop working at once.",
    )
    professors.add_argument("--data-dir", help="where the database lives (AVATARFARM_DATA_DIR, default ./var)")
    professors_sub = professors.add_subparsers(dest="professors_command", metavar="ACTION", required=True)
    add = professors_sub.add_parser("add", help="create a professor and print their first API token")
    add.add_argument("--name", required=True, help="the professor's name, as students should hear it")
    add.add_argument("--email", required=True, help="the professor's email address (one account per address)")
    add.add_argument("--show-token", action="store_true", help="print the token even when not on a terminal")
    professors_sub.add_parser("list", help="every professor with their role and whether they are enabled")
    for action, words in (("disable", "disable a professor by email"), ("enable", "enable a professor again")):
        professors_sub.add_parser(action, help=words).add_argument("email", help="the professor's email address")
    profile = professors_sub.add_parser(
        "profile", help="keep a professor's own clone: the avatar, voice and teaching style of their sessions"
    )
    profile.add_argument("email", help="the professor's email address")
    profile.add_argument("--avatar-id", required=True, help="their LiveAvatar avatar (their clone)")
    profile.add_argument("--voice-id", help="a LiveAvatar voice for it (default: the avatar's own)")
    profile.add_argument("--teaching-style", help="how their clone should teach")
    professors.set_defaults(handler=_professors)

    node = sub.add_parser(
        "node",
        help="run a browser node: Playwright's browser server for a farm on another machine",
        description="Run a browser node: Playwright's own browser server on HOST:PORT, launching Chromium with "
        "the farm's flags, one browser per bot. Every connection must carry the token. Its browsers reach only "
        "the bot page's origin and the vendors' hosts, derived from the farm's own AVATARFARM_* settings "
        "(PUBLIC_BASE_URL, ZOOM_MODE, LIVEAVATAR_MODE; NODE_EGRESS names others). SIGTERM closes its "
        "browsers and exits.",
    )
    node.add_argument("--host", default="0.0.0.0", help="interface to listen on (default 0.0.0.0)")
    node.add_argument("--port", type=int, default=3000, help="port to listen on (default 3000)")
    node.add_argument("--token", help=f"the farm's node token (else {ENV_PREFIX}BROWSER_NODE_TOKEN)")
    node.add_argument("--max-bots", type=int, help="most browsers at once (else the farm's NODE_MAX_BOTS)")
    node.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    node.set_defaults(handler=_node)

    from api import demo_command

    demo_parser = sub.add_parser("demo", help=demo_command.HELP, description=demo_command.HELP)
    demo_command.add_arguments(demo_parser)
    demo_parser.set_defaults(handler=demo_command.run)

    from api import doctor

    doctor_parser = sub.add_parser("doctor", help=doctor.HELP, description=doctor.__doc__)
    doctor.add_arguments(doctor_parser)
    doctor_parser.set_defaults(handler=doctor.run)

    if command in BUILT_IN:
        return parser
    for name, module in sorted(_plugin_commands(command if command in _plugin_names() else None).items()):
        plugin_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(plugin_parser)
        plugin_parser.set_defaults(handler=module.run)
    return parser


def _plugin_names() -> set[str]:
    return {ep.name for ep in entry_points(group=PLUGIN_GROUP)}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    try:
        # Inside the try: Ctrl-C while a command's modules load (seconds on a busy machine) ends it without a
        # traceback too.
        args = build_parser(command).parse_args(argv)
        return int(args.handler(args))
    except UsageError as exc:
        print(f"avatarfarm: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
