"""`avatarfarm doctor`: checks each credential and setting against the services they are for, and says in words
what is wrong, before a class finds out.

In live mode it asks the real services; in sim mode the fakes, through the same base URLs:
* LiveAvatar's API key (it lists the account's avatars), the avatar and voice ids a class will use (given with
  --avatar-id/--voice-id, else the latest session's), and the voice agent when the token names one;
* Zoom's Meeting SDK key and secret (live: Zoom's OAuth server must know them as a client, which is what a
  Meeting SDK app's credentials are; sim: the fake Zoom must answer), the OAuth client and its redirect URL (the
  authorize page must open for this client and `PUBLIC_BASE_URL/api/zoom/callback`);
* Chromium, as the farm launches it, or each browser node, and whether that browser reaches PUBLIC_BASE_URL (the
  URL bot pages are loaded from). When nothing listens on HOST:PORT the doctor answers there itself for the
  moment of the check, so the check works before `serve` runs;
* the Zoom Meeting SDK version the bot page serves.

Nothing is created or billed: no session token is minted, no meeting joined, no OAuth grant made. No secret is
ever printed."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import uvicorn

from api.listening import PortTaken, bind
from api.zoom_sdk_version import zoom_sdk_version
from farm.errors import first_line
from farm.settings import ENV_PREFIX, Mode, Settings, SettingsError, load_settings
from farm.tls_context import shared_tls_context
from farm.vendors.liveavatar_client import CatalogAvatar, LiveAvatarClient, in_words
from farm.vendors.vendor_http import VendorError
from farm.vendors.zoom_client import CALLBACK_PATH
from state.migrations import SchemaError
from state.secret_box import NoSecretBox

HELP = (
    "check every credential and setting against Zoom and LiveAvatar (the simulated ones in sim mode), "
    "Chromium and PUBLIC_BASE_URL, and say in words what is wrong"
)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
BROWSER_TIMEOUT_MS = 20_000
# A refresh token no one was ever given: Zoom authenticates the client first, then refuses the grant.
PROBE_REFRESH_TOKEN = "avatarfarm-doctor-probe"

Verdict = Literal["ok", "FAIL", "skip"]


@dataclass(frozen=True)
class Finding:
    subject: str
    verdict: Verdict
    words: str

    def line(self) -> str:
        return f"  {self.verdict:<5} {self.subject}: {self.words}"


def _ok(subject: str, words: str) -> Finding:
    return Finding(subject, "ok", words)


def _fail(subject: str, words: str) -> Finding:
    return Finding(subject, "FAIL", words)


def _skip(subject: str, words: str) -> Finding:
    return Finding(subject, "skip", words)


def _env(name: str) -> str:
    return f"{ENV_PREFIX}{name}"


# ---- LiveAvatar --------------------------------------------------------------------------------------------


async def check_liveavatar(settings: Settings, avatar_id: str | None, voice_id: str | None) -> list[Finding]:
    client = LiveAvatarClient.for_settings(settings, attempts=1, timeout=TIMEOUT)
    where = f"LiveAvatar ({settings.liveavatar_mode.value}) at {settings.liveavatar_api_base}"
    try:
        try:
            avatars = await client.avatars(attempts=1)
        except VendorError as exc:
            said = f"{where} does not answer." if exc.status == 0 else in_words(exc)
            return [_fail("LiveAvatar API key", said)]
        findings = [_ok("LiveAvatar API key", f"{where} accepts it; {len(avatars)} avatars visible")]
        findings.append(_avatar_finding(avatars, avatar_id))
        findings.append(await _voice_finding(client, voice_id))
        if settings.liveavatar_token_shape == "voice_agent" and settings.liveavatar_voice_agent_id:
            findings.append(await _voice_agent_finding(client, settings.liveavatar_voice_agent_id))
        return findings
    finally:
        await client.aclose()


def _avatar_finding(avatars: list[CatalogAvatar], avatar_id: str | None) -> Finding:
    if not avatar_id:
        return _skip("Avatar", "no avatar id to check (give --avatar-id, or start a session first)")
    found = next((avatar for avatar in avatars if avatar.id.lower() == avatar_id.lower()), None)
    if found is None:
        return _fail("Avatar", f"LiveAvatar does not know the avatar {avatar_id}; pick one of the account's avatars")
    if found.status != "ACTIVE":
        return _fail("Avatar", f"the avatar {found.name} is {found.status} at LiveAvatar, not ready for a class")
    return _ok("Avatar", f"{found.name} ({found.id}) is ready")


async def _voice_finding(client: LiveAvatarClient, voice_id: str | None) -> Finding:
    if not voice_id:
        return _skip("Voice", "no voice id to check (the avatar's own voice is used)")
    try:
        voices = await client.voices(attempts=1)
    except VendorError as exc:
        return _fail("Voice", f"the voices could not be listed: {in_words(exc)}")
    found = next((voice for voice in voices if voice.id.lower() == voice_id.lower()), None)
    if found is None:
        return _fail("Voice", f"LiveAvatar does not know the voice {voice_id}; pick one of the account's voices")
    return _ok("Voice", f"{found.name} ({found.id})")


async def _voice_agent_finding(client: LiveAvatarClient, agent_id: str) -> Finding:
    subject = "Voice agent"
    try:
        agent = await client.voice_agent(agent_id)
    except VendorError as exc:
        if exc.status == 404:
            return _fail(
                subject,
                f"LiveAvatar does not know the voice agent {agent_id} ({_env('LIVEAVATAR_VOICE_AGENT_ID')}); "
                "copy its id from app.liveavatar.com/voice-agent",
            )
        return _fail(subject, in_words(exc))
    return _ok(subject, f"{agent.get('name') or agent_id} ({agent.get('agent_type') or 'type not given'})")


# ---- Zoom --------------------------------------------------------------------------------------------------


async def _client_known(http: httpx.AsyncClient, oauth_base: str, client_id: str, secret: str) -> bool | None:
    """Whether Zoom's OAuth server authenticates this client: True, False, or None when it does not answer."""
    try:
        response = await http.post(
            f"{oauth_base}/oauth/token",
            auth=(client_id, secret),
            data={"grant_type": "refresh_token", "refresh_token": PROBE_REFRESH_TOKEN},
        )
    except httpx.HTTPError:
        return None
    if response.status_code == 401:
        return False
    with contextlib.suppress(ValueError):
        if response.json().get("error") == "invalid_client":
            return False
    return response.status_code < 500


async def check_zoom(settings: Settings, http: httpx.AsyncClient) -> list[Finding]:
    oauth_base = settings.zoom_oauth_base or ""
    findings = [await _sdk_credentials_finding(settings, http, oauth_base)]
    client_id = settings.zoom_oauth_client_id
    secret = settings.zoom_oauth_client_secret.get_secret_value() if settings.zoom_oauth_client_secret else ""
    if not client_id or not secret:
        findings.append(
            _skip(
                "Zoom OAuth client",
                f"not set ({_env('ZOOM_OAUTH_CLIENT_ID')}, {_env('ZOOM_OAUTH_CLIENT_SECRET')}): bots can join only "
                "meetings of the Meeting SDK app's own account",
            )
        )
        return findings
    known = await _client_known(http, oauth_base, client_id, secret)
    if known is None:
        findings.append(_fail("Zoom OAuth client", f"Zoom's OAuth server at {oauth_base} does not answer"))
        return findings
    if not known:
        findings.append(
            _fail(
                "Zoom OAuth client",
                f"Zoom does not accept {_env('ZOOM_OAUTH_CLIENT_ID')} with this {_env('ZOOM_OAUTH_CLIENT_SECRET')}; "
                "copy both from the OAuth app's App Credentials page in the Zoom Marketplace",
            )
        )
        return findings
    findings.append(_ok("Zoom OAuth client", f"Zoom's OAuth server at {oauth_base} knows it"))
    findings.append(await _redirect_finding(settings, http, oauth_base, client_id))
    return findings


async def _sdk_credentials_finding(settings: Settings, http: httpx.AsyncClient, oauth_base: str) -> Finding:
    subject = "Zoom SDK key and secret"
    if settings.zoom_mode is Mode.sim:
        try:
            answered = (await http.get(f"{settings.zoom_api_base}/healthz")).status_code == 200
        except httpx.HTTPError:
            answered = False
        if not answered:
            return _fail(
                subject,
                f"the simulated Zoom at {settings.zoom_api_base} does not answer: start it with "
                "`avatarfarm fake-zoom`, or run `avatarfarm demo`",
            )
        return _ok(subject, f"simulated; the simulated Zoom at {settings.zoom_api_base} answers")
    secret = settings.zoom_sdk_secret.get_secret_value() if settings.zoom_sdk_secret else ""
    known = await _client_known(http, oauth_base, settings.zoom_sdk_key or "", secret)
    if known is None:
        return _fail(subject, f"Zoom's OAuth server at {oauth_base} does not answer")
    if not known:
        return _fail(
            subject,
            f"Zoom does not know {_env('ZOOM_SDK_KEY')} with this {_env('ZOOM_SDK_SECRET')}: a Meeting SDK app's "
            "key and secret are its Client ID and Client Secret (App Credentials in the Zoom Marketplace); "
            "copy both again",
        )
    return _ok(subject, "Zoom knows the Meeting SDK app")


async def _redirect_finding(settings: Settings, http: httpx.AsyncClient, oauth_base: str, client_id: str) -> Finding:
    """Zoom's authorize page must open for this client and redirect URL. Redirects are followed only on Zoom's
    own host: one back to the redirect URL means Zoom would approve (a browser still signed in there)."""
    subject = "Zoom OAuth redirect URL"
    redirect_uri = f"{settings.base_url}{CALLBACK_PATH}"
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": "doctor"}
    url: str | None = str(httpx.URL(f"{oauth_base}/oauth/authorize", params=params))
    response: httpx.Response | None = None
    for _ in range(5):
        if url is None:
            break
        try:
            response = await http.get(url)
        except httpx.HTTPError:
            return _fail(subject, f"Zoom's authorize page at {oauth_base} does not answer")
        location = response.headers.get("location") if response.is_redirect else None
        if location is None:
            break
        following = response.url.join(location)
        if str(following).startswith(redirect_uri):
            return _ok(subject, f"Zoom sends the professor back to {redirect_uri}")
        url = str(following) if following.host == response.url.host else None
    status = response.status_code if response is not None else 0
    refused = status >= 400 or (
        response is not None
        and any(words in response.text.lower() for words in ("invalid redirect", "invalid client_id"))
    )
    if refused:
        return _fail(
            subject,
            f"Zoom does not open its authorize page for {redirect_uri} (HTTP {status}): add it to the OAuth app's "
            "Redirect URL and allow list in the Zoom Marketplace, or fix PUBLIC_BASE_URL",
        )
    return _ok(subject, f"Zoom opens its authorize page for {redirect_uri}")


# ---- Chromium and PUBLIC_BASE_URL --------------------------------------------------------------------------


def _probe_app(nonce: str) -> Callable[..., Awaitable[None]]:
    body = json.dumps({"status": "ok", "doctor": nonce}).encode()

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    return app


@contextlib.asynccontextmanager
async def answering_at(host: str, port: int) -> AsyncIterator[str | None]:
    """Answer on HOST:PORT for the moment of the check when nothing listens there; yields the answer's nonce,
    or None when the port is taken (by avatarfarm serve, presumably)."""
    try:
        sock = bind(host, port)
    except PortTaken:
        yield None
        return
    nonce = secrets.token_hex(8)
    config = uvicorn.Config(_probe_app(nonce), log_level="error", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                break
            await asyncio.sleep(0.02)
        yield nonce
    finally:
        server.should_exit = True
        # The answering server's own failure already shows as the browsers' failed loads.
        with contextlib.suppress(TimeoutError, OSError):
            await asyncio.wait_for(task, 10)
        sock.close()


async def check_browsers(settings: Settings) -> list[Finding]:
    from playwright.async_api import Browser, Error, async_playwright

    from farm.browsers.browser_node import LAUNCH_ERRORS, LocalBrowserNode, PlaywrightNode, started_again_once
    from farm.browsers.remote_node import RemoteBrowserNode

    launch_errors: tuple[type[Exception], ...] = (*LAUNCH_ERRORS, OSError)

    url = f"{settings.base_url}/healthz"
    token = settings.browser_node_token.get_secret_value() if settings.browser_node_token else ""
    page = urlsplit(settings.base_url)
    origin = f"{page.scheme}://{page.netloc}"
    nodes: list[tuple[str, PlaywrightNode]] = []
    findings: list[Finding] = []
    for configured in settings.browser_node_urls:
        addresses, problem = await _node_addresses(configured)
        if problem is not None:
            findings.append(_fail(f"Browser node {configured}", problem))
        for node_url in addresses:
            remote = RemoteBrowserNode(node_url, token, default_capacity=1, page_origin=origin)
            nodes.append((f"Browser node {node_url}", remote))
    if not settings.browser_node_urls:
        nodes.append(("Chromium", LocalBrowserNode()))
    async with answering_at(settings.host, settings.port) as nonce, async_playwright() as playwright:
        for subject, node in nodes:
            if isinstance(node, RemoteBrowserNode):
                probe = await node.probe()
                if not probe.up:
                    findings.append(_fail(subject, f"the node {probe.problem}"))
                    continue
            try:
                # Started as the farm starts its bots: again, once, when Chromium died starting (it sometimes
                # does on a loaded machine), so the doctor fails only what would fail the farm.
                browser: Browser = await started_again_once()(node._new_browser, playwright)
            except launch_errors as exc:  # a failure to launch or connect is the finding itself
                first = first_line(exc)
                words = f"could not be started: {first}"
                if isinstance(node, LocalBrowserNode):
                    words += f" (install chromium, or point {_env('CHROMIUM')} at a Chromium)"
                findings.append(_fail(subject, words))
                continue
            try:
                findings.append(_ok(subject, f"Chromium {browser.version} starts"))
                findings.append(await _reaches(browser, url, nonce, subject, Error))
            finally:
                with contextlib.suppress(Error):
                    await browser.close()
    return findings


async def _node_addresses(url: str) -> tuple[list[str], str | None]:
    """The node URLs behind a BROWSER_NODES entry: itself, or every address DNS gives for a dns+ws:// name."""
    if not url.startswith("dns+"):
        return [url], None
    parts = urlsplit(url)
    name, port = parts.hostname or "", parts.port or 0
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return [], f"DNS does not resolve {name} ({exc.strerror or exc})"
    scheme = parts.scheme.removeprefix("dns+")
    hosts = sorted({str(info[4][0]) for info in infos})
    return [f"{scheme}://[{host}]:{port}/" if ":" in host else f"{scheme}://{host}:{port}/" for host in hosts], None


async def _reaches(browser: Any, url: str, nonce: str | None, seen_from: str, error_type: type[Exception]) -> Finding:
    subject = f"PUBLIC_BASE_URL from {seen_from}"
    page = await browser.new_page()
    try:
        response = await page.goto(url, timeout=BROWSER_TIMEOUT_MS)
        text = await response.text() if response is not None else ""
        status = response.status if response is not None else 0
    except error_type as exc:
        first = first_line(exc)
        return _fail(subject, f"the browser cannot load {url} ({first}); bot pages would not load either")
    finally:
        with contextlib.suppress(error_type):
            await page.close()
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or answer.get("status") != "ok" or status != 200:
        return _fail(subject, f"{url} answers, but not as avatarfarm (HTTP {status}): it points at another server")
    if nonce is not None and answer.get("doctor") != nonce:
        return _fail(subject, f"{url} is not this server: another program answers there")
    return _ok(subject, f"the browser loads {url}")


# ---- the whole check ---------------------------------------------------------------------------------------


async def _latest_ids(settings: Settings) -> tuple[str | None, str | None]:
    """The avatar and voice of the latest session in the database, if there is one."""
    if not settings.database_path.exists():
        return None, None
    from state.database import Database
    from state.repository import Repository

    try:
        db = await Database.open(settings.database_path, apply_migrations=False)
    except (sqlite3.Error, OSError, SchemaError):  # an old or unreadable database: nothing to take ids from
        return None, None
    try:
        sessions = await Repository(db).sessions.all(limit=1)
    except (sqlite3.Error, NoSecretBox):  # an older schema, or sealed passcodes: no ids from it
        return None, None
    finally:
        await db.close()
    if not sessions:
        return None, None
    return sessions[0].professor.avatar_id, sessions[0].professor.voice_id


async def diagnose(
    settings: Settings, *, avatar_id: str | None = None, voice_id: str | None = None, browsers: bool = True
) -> list[Finding]:
    if avatar_id is None and voice_id is None:
        avatar_id, voice_id = await _latest_ids(settings)
    version = zoom_sdk_version()
    findings = [Finding("Zoom Meeting SDK", "ok" if version.in_use else "FAIL", version.in_words())]
    async with httpx.AsyncClient(verify=shared_tls_context(), timeout=TIMEOUT, trust_env=False) as http:
        zoom, liveavatar = await asyncio.gather(
            check_zoom(settings, http), check_liveavatar(settings, avatar_id, voice_id)
        )
    findings += zoom + liveavatar
    if browsers:
        findings += await check_browsers(settings)
    return findings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--avatar-id", help="the LiveAvatar avatar a class will use (default: the latest session's)")
    parser.add_argument("--voice-id", help="the LiveAvatar voice a class will use (default: the latest session's)")
    parser.add_argument("--no-browser", action="store_true", help="skip Chromium and PUBLIC_BASE_URL")
    parser.add_argument("--data-dir", help="where the database lives (AVATARFARM_DATA_DIR, default ./var)")


def run(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(f"avatarfarm: configuration error: {exc}", file=sys.stderr)
        return 2
    print(
        f"avatarfarm doctor: Zoom {settings.zoom_mode.value} at {settings.zoom_api_base}, LiveAvatar "
        f"{settings.liveavatar_mode.value} at {settings.liveavatar_api_base}, bot pages from {settings.base_url}",
        flush=True,
    )
    findings = asyncio.run(
        diagnose(settings, avatar_id=args.avatar_id, voice_id=args.voice_id, browsers=not args.no_browser)
    )
    for finding in findings:
        print(finding.line(), flush=True)
    failed = [finding for finding in findings if finding.verdict == "FAIL"]
    print(f"{len(failed)} problem{'s' if len(failed) != 1 else ''} found" if failed else "everything checked is fine")
    return 1 if failed else 0
