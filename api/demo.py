"""`avatarfarm demo`: a whole class on a laptop, simulated end to end.

It starts the fake Zoom and the fake LiveAvatar (as `avatarfarm fake-zoom` / `fake-liveavatar` processes),
then the farm with its API, creates a meeting with N breakout rooms as its host would, starts a session over
the farm's own REST API, shows the deployment as it happens, and prints where to look and how to join as a
student. Ctrl-C (or SIGTERM, or a closed terminal), in any state, leaves every meeting, stops every avatar and
stops the fakes within 15 s. The fakes hold one end of a pipe only the demo writes to, so they stop even when the
demo is killed outright; a demo started again ends the sessions an earlier run left active.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx
import uvicorn
from pydantic import SecretStr
from sse_starlette.sse import AppStatus

from api.app import create_app
from api.auth import ensure_api_token
from api.listening import KEEP_ALIVE_SECONDS, PortTaken, bind, ensure_free
from api.secrets_at_rest import open_repository, open_secret_box
from farm.factory import browser_farm
from farm.settings import Settings, load_settings
from farm.tls_context import shared_tls_context
from state.models import SessionStatus

SIM_ADMIN_TOKEN = "avatarfarm-sim-admin"
DEMO_AVATAR = "3b8f0c1e-5a52-4f43-a0a4-6e6f1c2d9b10"  # "Ada" in the fake LiveAvatar's catalogue
PASSCODE = "demo123"
STUDENTS = ["Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Frances", "John"]


@dataclass
class Service:
    name: str
    url: str
    process: asyncio.subprocess.Process


class _Watched(Protocol):
    @property
    def returncode(self) -> int | None: ...


STARTUP_SECONDS = 30.0
# Ctrl-C to exit within 15 s whatever the state: the farm gets this long to leave its meetings and stop its
# avatars, then each fake this long after SIGTERM before its process group is killed.
FARM_STOP_SECONDS = 8.0
FAKE_STOP_SECONDS = 3.0
EARLIER_RUN = "a new demo run started (the earlier run's meeting is gone)"


async def _wait_healthy(url: str, process: _Watched, name: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(verify=shared_tls_context(), timeout=2) as client:
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"{name} exited with status {process.returncode} (is its port already in use?)")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start within {STARTUP_SECONDS:.0f}s")
            await asyncio.sleep(0.2)


async def _start_fake(command: str, port: int, lifeline: int, services: list[Service]) -> Service:
    """Start `avatarfarm <command>` in its own process group, tied to this process by the lifeline pipe."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        command,
        "--port",
        str(port),
        "--lifeline",
        str(lifeline),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C reaches the demo, which then stops the fakes in order
        pass_fds=(lifeline,),
    )
    service = Service(command, f"http://127.0.0.1:{port}", process)
    services.append(service)  # from now on the demo's stop takes it down, whatever happens next
    await _wait_healthy(service.url, process, command)
    return service


async def _stop(service: Service) -> None:
    """SIGTERM to the service's process group; what is left of the group after the grace period is killed."""
    group = service.process.pid  # the leader of its own session and group (start_new_session)
    if service.process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        try:
            await asyncio.wait_for(service.process.wait(), FAKE_STOP_SECONDS)
        except TimeoutError:
            _say(f"  {service.name} did not stop within {FAKE_STOP_SECONDS:.0f}s: killed")
    # Whatever is left of the group (the leader when it did not stop in time, a child it left behind) goes now.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    await service.process.wait()


async def _end_earlier_runs(settings: Settings) -> int:
    """Sessions an earlier demo run left active are marked ending; the farm's start-up then closes them.

    Their meeting lived in that run's fake Zoom: relaunched, their rooms would only fail ("There is no Zoom
    meeting with this number")."""
    if not settings.database_path.exists():
        return 0
    repository = await open_repository(settings, open_secret_box(settings))  # sessions hold sealed passcodes
    try:
        earlier = await repository.sessions.all(status=SessionStatus.active, limit=500)
        for session in earlier:
            await repository.sessions.begin_ending(session.id, EARLIER_RUN)
        return len(earlier)
    finally:
        await repository.close()


async def _create_meeting(zoom_url: str, rooms: list[str]) -> str:
    async with httpx.AsyncClient(
        verify=shared_tls_context(),
        base_url=zoom_url,
        headers={"Authorization": f"Bearer {SIM_ADMIN_TOKEN}"},
        timeout=10,
    ) as host:
        created = await host.post(
            "/fake/meetings",
            json={
                "topic": "avatarfarm demo: CS 101 tutorial",
                "passcode": PASSCODE,
                "breakout_rooms": rooms,
                "breakout_options": {"isRoomSelectionEnabled": True, "isBackToMainSessionEnabled": True},
            },
        )
        created.raise_for_status()
        number = str(created.json()["number"])
        (
            await host.post(f"/fake/meetings/{number}/participants", json={"name": "Professor (host)", "host": True})
        ).raise_for_status()
        (await host.post(f"/fake/meetings/{number}/breakout/open", json={})).raise_for_status()
    return number


def _session_body(number: str, rooms: list[str]) -> dict[str, Any]:
    return {
        "meeting": {"number": number, "passcode": PASSCODE},
        "professor": {
            "name": "Prof. Ada Lovelace",
            "avatar_id": DEMO_AVATAR,
            "teaching_style": "Socratic and warm; asks for the student's reasoning before giving hints.",
        },
        "course": {
            "name": "CS 101: Recursion",
            "context": "Recursion solves a problem through smaller instances of itself. Every recursive function "
            "needs a base case that stops it and a recursive step that moves toward the base case. The call "
            "stack holds each pending call; forgetting the base case overflows it.",
        },
        "rooms": [
            {"name": room, "student": {"name": STUDENTS[i % len(STUDENTS)], "background": "First-year student."}}
            for i, room in enumerate(rooms)
        ],
    }


READY = frozenset({"in_room", "avatar_connecting", "live", "idle"})


def _bar(live: int, total: int, width: int = 24) -> str:
    filled = round(width * live / total) if total else width
    return "#" * filled + "-" * (width - filled)


async def _follow_deployment(
    api: httpx.AsyncClient, session_id: str, total: int, within: float, stop: asyncio.Event
) -> bool:
    started = time.monotonic()
    seen: dict[str, str] = {}
    while time.monotonic() - started < within and not stop.is_set():
        session = (await api.get(f"/api/sessions/{session_id}")).json()
        for room in session["rooms"]:
            status = room["status"]
            if seen.get(room["name"]) != status:
                seen[room["name"]] = status
                note = (
                    f" — {room['reason_text']}"
                    if room.get("reason_text") and status in ("failed", "recovering")
                    else ""
                )
                print(f"  {time.monotonic() - started:5.1f}s  {room['name']:<10} {status}{note}", flush=True)
        # A bot is ready once it waits in its breakout room: its avatar starts when a student joins the room.
        ready = sum(room["status"] in READY for room in session["rooms"])
        if ready == total:
            elapsed = time.monotonic() - started
            print(f"  [{_bar(ready, total)}] {ready}/{total} bots ready in their rooms in {elapsed:.1f}s", flush=True)
            return True
        if all(room["status"] in ("failed", "ended") for room in session["rooms"]):
            return False
        await asyncio.sleep(0.5)
    return False


async def run_demo(args: argparse.Namespace) -> int:
    print(f"avatarfarm demo: {args.rooms} breakout rooms, everything simulated on this machine", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: its terminal was closed
        loop.add_signal_handler(sig, stop.set)
    try:
        ensure_free("127.0.0.1", args.zoom_port, setting="--zoom-port")
        ensure_free("127.0.0.1", args.liveavatar_port, setting="--liveavatar-port")
        sock = bind("127.0.0.1", args.port, setting="--port / AVATARFARM_PORT")
    except PortTaken as exc:
        print(f"avatarfarm demo: {exc}", file=sys.stderr, flush=True)
        return 2
    demo = _Demo(args, sock)
    body = asyncio.create_task(demo.run(stop))
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({body, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if body.done() and not stop.is_set():
            return body.result()  # --exit-when-live, or a start-up error (raised here)
        _say("\nStopping: every bot leaves its meeting and every avatar stops…")
        body.cancel()
        await asyncio.gather(body, return_exceptions=True)
        return 0
    finally:
        stopped.cancel()
        await demo.stop()
        _say("Demo stopped.")


class _Demo:
    """The demo's parts: started in order by run(), stopped in reverse by stop(), whatever run() got to."""

    def __init__(self, args: argparse.Namespace, sock: socket.socket) -> None:
        self.args = args
        self.sock = sock
        self.services: list[Service] = []
        self.server: uvicorn.Server | None = None
        self.serving: asyncio.Task[None] | None = None
        # The fakes hold the read end: when this process ends, however it ends, they see end-of-file and stop.
        self.lifeline_read, self.lifeline_write = os.pipe()

    async def run(self, stop: asyncio.Event) -> int:
        args = self.args
        rooms = [f"Room {i + 1}" for i in range(args.rooms)]
        zoom = await _start_fake("fake-zoom", args.zoom_port, self.lifeline_read, self.services)
        liveavatar = await _start_fake("fake-liveavatar", args.liveavatar_port, self.lifeline_read, self.services)
        os.close(self.lifeline_read)
        self.lifeline_read = -1
        print(f"  fake Zoom        {zoom.url}\n  fake LiveAvatar  {liveavatar.url}", flush=True)
        settings: Settings = load_settings(
            data_dir=Path(args.data_dir),
            port=args.port,
            zoom_api_base=zoom.url,
            liveavatar_api_base=liveavatar.url,
            max_bots=max(len(rooms), 1),
            avatar_quality="low",
        )
        ended = await _end_earlier_runs(settings)
        if ended:
            print(f"  ended {ended} session{'s' if ended != 1 else ''} an earlier demo run left active", flush=True)
        token = ensure_api_token(settings)
        settings = settings.model_copy(update={"api_token": SecretStr(token.value)})
        self.server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, farm_factory=browser_farm),
                host=settings.host,
                port=settings.port,
                log_level="warning",
                timeout_graceful_shutdown=int(FARM_STOP_SECONDS),
                timeout_keep_alive=KEEP_ALIVE_SECONDS,
            )
        )
        # The demo handles Ctrl-C itself (to stop the fakes after the farm): uvicorn must not take the signals.
        self.server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        self.serving = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        await _wait_healthy(settings.base_url, _AliveProcess(self.serving), "the farm")
        number = await _create_meeting(zoom.url, rooms)
        print(f"  meeting          {number} (passcode {PASSCODE}), breakout rooms open", flush=True)
        async with httpx.AsyncClient(
            verify=shared_tls_context(),
            base_url=settings.base_url,
            headers={"Authorization": f"Bearer {token.value}"},
            timeout=30,
        ) as api:
            created = await api.post("/api/sessions", json=_session_body(number, rooms))
            created.raise_for_status()
            session_id = created.json()["id"]
            print(f"Deploying {len(rooms)} avatar bots (session {session_id}):", flush=True)
            all_live = await _follow_deployment(api, session_id, len(rooms), args.timeout, stop)
        print()
        print(f"Dashboard:  {settings.base_url}/dashboard")
        # The token only on a terminal: a demo's output piped into a log file must not carry it.
        from_env = token.source == "AVATARFARM_API_TOKEN"
        shown = (
            token.value if sys.stdout.isatty() else ("$AVATARFARM_API_TOKEN" if from_env else f"$(cat {token.source})")
        )
        if sys.stdout.isatty():
            print(f"API token:  {token.value}")
        else:
            where = "in AVATARFARM_API_TOKEN" if from_env else f"kept in {token.source}"
            print(f"API token:  {where} (not printed: standard output is not a terminal)")
        print(f'REST API:   curl -H "Authorization: Bearer {shown}" {settings.base_url}/api/sessions/{session_id}')
        print("Join as a student (your browser's camera and microphone); a room's avatar starts when you arrive:")
        for i, room in enumerate(rooms):
            name = quote(STUDENTS[i % len(STUDENTS)])
            print(f"  {room:<8} {zoom.url}/join/{number}?name={name}&room={quote(room)}&pwd={PASSCODE}")
        print("Everything is ready. Ctrl-C stops the demo." if all_live else "Some rooms are not ready (see above).")
        sys.stdout.flush()
        if args.exit_when_live:
            return 0 if all_live else 1
        await stop.wait()
        return 0

    async def stop(self) -> None:
        """The farm first (its bots leave the meetings, its avatars stop), then the fakes; each within its time.

        The fakes are stopped whatever happened to the farm's stop (and the lifeline closed last)."""
        try:
            if self.server is not None and self.serving is not None:
                # An open dashboard's event stream would hold uvicorn's graceful stop until it is cut short:
                # sse-starlette ends its streams when it learns of the stop, which it finds through uvicorn's
                # signal handler, and the demo takes the signals itself. This process serves once, then exits.
                AppStatus.should_exit = True
                self.server.should_exit = True
                done, _ = await asyncio.wait({self.serving}, timeout=FARM_STOP_SECONDS)
                if not done:
                    _say(f"  the farm did not stop within {FARM_STOP_SECONDS:.0f}s: cutting it short")
                    # uvicorn reports its cut lifespan with a traceback: expected here, and said above in words.
                    logging.getLogger("uvicorn.error").disabled = True
                    self.serving.cancel()
                await asyncio.gather(self.serving, return_exceptions=True)
            else:
                self.sock.close()
        finally:
            await asyncio.gather(*(_stop(service) for service in reversed(self.services)))
            for fd in (self.lifeline_read, self.lifeline_write):
                if fd >= 0:
                    os.close(fd)
            self.lifeline_read = self.lifeline_write = -1


def _say(text: str) -> None:
    """A line on standard output that may be gone (a closed terminal, a reader that quit): stopping goes on."""
    with contextlib.suppress(OSError):
        print(text, flush=True)


class _AliveProcess:
    """Lets _wait_healthy watch an in-process server task like a subprocess."""

    def __init__(self, task: asyncio.Task[None]) -> None:
        self._task = task

    @property
    def returncode(self) -> int | None:
        return 1 if self._task.done() else None
