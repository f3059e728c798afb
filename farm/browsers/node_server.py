"""`avatarfarm node`: a browser node — Playwright's own browser server, guarded by a token, launching
Chromium with the farm's flags. The farm connects to it with `chromium.connect(ws://HOST:PORT/)`.

Playwright's server launches one browser per connection, and takes the client's launch options (executable,
flags) only when told to trust its clients; its own `run-server` listens on TCP and answers `GET /json` with
its endpoint path to anyone, so any local process could launch what it likes. It runs instead on a Unix socket
in a directory only the node's user may enter (farm/node_playwright_server.mjs), and this process fronts it:

* every WebSocket upgrade must carry `Authorization: Bearer <token>` (compared in constant time); a wrong or
  missing token is answered 401 before anything reaches Playwright;
* the launch options are the node's own (its Chromium, `farm.browsers.chromium` and bot flags, headless): the client's
  `x-playwright-launch-options`, browser name and proxy headers are replaced;
* the one thing a client may ask is which origin serves its bot page (`x-avatarfarm-page-origin`): a plain
  http:// origin other than loopback is not a secure context, and the media APIs the page needs exist only in
  one, so Chromium is told to treat that origin (and only it) as secure, when the node's egress list has it;
* every browser connects only through the node's egress proxy (farm/browsers/node_egress.py), to the hosts of the
  node's own configuration (farm/browsers/node_settings.py);
* at most `--max-bots` browsers at once (503 beyond), reported with the current count at `GET /info` (token
  required); `GET /healthz` answers without one, for probes;
* after the handshake, the client's messages pass the protocol guard (farm/browsers/node_protocol_guard.py), which
  refuses calls that would get past the proxy; Playwright's messages pass unchanged.

Playwright's server launches every browser with its own environment (a client cannot set one), so the driver
itself is started with only what Chromium needs plus Playwright's own variables: the node's token, and any
secret the container carries, never reach a browser.

SIGTERM (or SIGINT) closes every connection (Playwright then closes their browsers), stops the driver and
kills any Chromium of this node still running.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright._impl._driver import compute_driver_executable, get_driver_env

from farm.browsers.chromium import base_args, browser_env, chromium_executable, sandboxed
from farm.browsers.node_egress import EgressProxy, EgressRule, allowed
from farm.browsers.node_protocol_guard import ProtocolGuard
from farm.browsers.orphans import Owner, kill_browsers_of, node_socket_dir, owner_marker, remove_orphaned_node_dirs

log = logging.getLogger("avatarfarm.node")

PLAYWRIGHT_SERVER = Path(__file__).with_name("node_playwright_server.mjs")

PAGE_ORIGIN_HEADER = "x-avatarfarm-page-origin"
HEAD_LIMIT = 16 * 1024
HEAD_TIMEOUT_SECONDS = 10.0
DRIVER_START_SECONDS = 30.0
STOP_SECONDS = 5.0
# A node at its limit holds a new connection this long for a slot before it answers 503 "node full": a client
# that closes a browser and connects again at once finds the old connection still closing.
SLOT_WAIT_SECONDS = 3.0
LAUNCH_TIMEOUT_MS = 60_000
# Headers a client may not choose: the node decides what it launches, and never proxies the client's network.
REPLACED_HEADERS = frozenset(
    {
        "authorization",
        "x-playwright-launch-options",
        "x-playwright-browser",
        "x-playwright-proxy",
        "host",
        "sec-websocket-extensions",  # no compression: the front reads each message (node_protocol_guard.py)
        PAGE_ORIGIN_HEADER,
    }
)
UPGRADE_HEAD_LIMIT = 16 * 1024
ORIGIN = re.compile(r"^(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$")


@dataclass(frozen=True)
class NodeConfig:
    host: str
    port: int
    token: str
    max_bots: int | None = None
    bot_args: tuple[str, ...] = ()
    # Where the node's browsers may connect (farm/browsers/node_egress.py); nothing when empty.
    egress: tuple[EgressRule, ...] = ()


@dataclass
class _Request:
    method: str
    path: str
    version: str
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)


def _parse_head(raw: bytes) -> _Request | None:
    try:
        lines = raw.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
    except ValueError:
        return None
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            return None
        headers.append((key.strip(), value.strip()))
    return _Request(method, urlsplit(target).path or "/", version, headers)


def _response(status: int, reason: str, body: dict[str, object]) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + payload


class BrowserNodeServer:
    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self._driver: asyncio.subprocess.Process | None = None
        self._socket_dir: str | None = None
        self._socket_path = ""
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self.bots = 0
        self._slot_freed = asyncio.Event()
        self.port = config.port
        self.egress = EgressProxy(config.egress)
        self.guard = ProtocolGuard()

    # ---- lifecycle ------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.egress.start()
        await self._start_driver()
        self._server = await asyncio.start_server(self._handle, self.config.host, self.config.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info(
            "browser node listening on ws://%s:%d/ (max bots: %s); its browsers may reach %s",
            self.config.host,
            self.port,
            self.config.max_bots or "not set",
            ", ".join(str(rule) for rule in self.config.egress) or "nothing",
        )

    async def _start_driver(self) -> None:
        node, cli = compute_driver_executable()
        remove_orphaned_node_dirs()
        self._socket_dir = node_socket_dir()  # mode 0700: only this user may enter
        socket_path = os.path.join(self._socket_dir, "playwright.sock")
        core = str(Path(cli).parent / "lib" / "coreBundle.js")
        self._driver = await asyncio.create_subprocess_exec(
            node,
            str(PLAYWRIGHT_SERVER),
            core,
            socket_path,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=driver_env(),
        )
        assert self._driver.stdout is not None
        try:
            line = await asyncio.wait_for(self._driver.stdout.readline(), DRIVER_START_SECONDS)
        except TimeoutError:
            line = b""
        text = line.decode(errors="replace").strip()
        if not text.startswith(f"Listening on {socket_path}"):
            self._driver.kill()
            raise RuntimeError(f"Playwright's browser server did not start ({text or 'no output'})")
        self._socket_path = socket_path

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._connections.values()):
            writer.transport.abort()  # the spliced connection ends; Playwright closes that browser
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=STOP_SECONDS)
        driver, self._driver = self._driver, None
        if driver is not None and driver.returncode is None:
            # The driver closes its browsers when it exits (and each Chromium exits when its pipe closes).
            driver.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(driver.wait(), STOP_SECONDS)
            except TimeoutError:
                driver.kill()
                await driver.wait()
        await self.egress.stop()
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None
        left = kill_browsers_of(Owner.me())
        if left:
            log.warning("killed %d browser(s) still running at node stop", len(left))
        if self._server is not None:
            with contextlib.suppress(OSError):
                await self._server.wait_closed()

    def launch_options(self, page_origin: str | None = None) -> dict[str, object]:
        args = [*base_args(), *self.config.bot_args, owner_marker()]
        # Every connection of a page through the node's egress proxy, loopback included (Chromium otherwise
        # connects to loopback directly, whatever the proxy).
        args += [f"--proxy-server={self.egress.url}", "--proxy-bypass-list=<-loopback>"]
        if page_origin is not None:
            args.append(f"--unsafely-treat-insecure-origin-as-secure={page_origin}")
        options: dict[str, object] = {
            "headless": True,
            "args": args,
            "timeout": LAUNCH_TIMEOUT_MS,
            "chromiumSandbox": sandboxed(),
        }
        executable = chromium_executable()
        if executable:
            options["executablePath"] = executable
        return options

    def _insecure_page_origin(self, request: _Request) -> str | None:
        """The client's plain-http page origin, when the node's browsers may reach it at all."""
        origin = _insecure_page_origin(request)
        if origin is None or not allowed(self.config.egress, *_origin_host_port(origin)):
            return None
        return origin

    # ---- one client connection ------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def _authorized(self, request: _Request) -> bool:
        given = request.header("authorization") or ""
        scheme, _, token = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.config.token.encode())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT_SECONDS)
        if len(raw) > HEAD_LIMIT:
            writer.write(_response(431, "Request Header Fields Too Large", {"error": "headers too large"}))
            return
        request = _parse_head(raw)
        if request is None:
            writer.write(_response(400, "Bad Request", {"error": "malformed request"}))
            return
        if request.method == "GET" and request.path == "/healthz":
            writer.write(_response(200, "OK", {"status": "ok"}))
            return
        if not self._authorized(request):
            writer.write(_response(401, "Unauthorized", {"error": "wrong or missing node token"}))
            return
        upgrade = (request.header("upgrade") or "").lower() == "websocket"
        if request.method == "GET" and request.path == "/info" and not upgrade:
            writer.write(_response(200, "OK", {"max_bots": self.config.max_bots, "bots": self.bots}))
            return
        if not upgrade or request.path != "/":
            writer.write(_response(404, "Not Found", {"error": "no such endpoint"}))
            return
        if not await self._slot():
            writer.write(_response(503, "Service Unavailable", {"error": f"node full ({self.bots} bots)"}))
            return
        self.bots += 1  # taken before any await, so two connections cannot both take the last slot
        try:
            await self._splice(request, reader, writer)
        finally:
            self.bots -= 1
            self._slot_freed.set()

    async def _slot(self) -> bool:
        """Whether a bot may start now, after waiting up to SLOT_WAIT_SECONDS for one to end if the node is full."""
        limit = self.config.max_bots
        if limit is None:
            return True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SLOT_WAIT_SECONDS
        while self.bots >= limit:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._slot_freed.clear()
            try:
                await asyncio.wait_for(self._slot_freed.wait(), remaining)
            except TimeoutError:
                return False
        return True

    async def _splice(self, request: _Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_unix_connection(self._socket_path)
        headers = [(k, v) for k, v in request.headers if k.lower() not in REPLACED_HEADERS]
        headers += [
            ("Host", "localhost"),
            ("x-playwright-browser", "chromium"),
            ("x-playwright-launch-options", json.dumps(self.launch_options(self._insecure_page_origin(request)))),
        ]
        head = f"GET / {request.version}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        upstream_writer.write(head.encode("latin-1"))
        try:
            # Playwright's answer to the upgrade goes back as it is; after it, messages pass the guard.
            answer = await asyncio.wait_for(upstream_reader.readuntil(b"\r\n\r\n"), LAUNCH_TIMEOUT_MS / 1000)
            writer.write(answer)
            if len(answer) > UPGRADE_HEAD_LIMIT or not answer.startswith(b"HTTP/1.1 101"):
                return
            await self.guard.relay((reader, writer), (upstream_reader, upstream_writer))
        finally:
            upstream_writer.close()
            with contextlib.suppress(OSError):
                await upstream_writer.wait_closed()


# The certificate authorities Node.js adds to its own (a private CA of browser nodes reached over wss://).
DRIVER_ENV_NAMES = ("NODE_EXTRA_CA_CERTS",)


def driver_env() -> dict[str, str]:
    """The environment of a Playwright driver, and so of every Chromium it launches: the browser's allow-list
    plus Playwright's own variables (PW_*, PLAYWRIGHT_*, such as where its browsers are installed) and the
    extra CA certificates Node.js should trust (NODE_EXTRA_CA_CERTS)."""
    driver = get_driver_env()
    playwright_own = {k: v for k, v in driver.items() if k.startswith(("PW_", "PLAYWRIGHT_")) or k in DRIVER_ENV_NAMES}
    return {**browser_env(), **playwright_own}


def _insecure_page_origin(request: _Request) -> str | None:
    """The client's page origin when it is plain http:// (anything not a bare origin is ignored)."""
    origin = (request.header(PAGE_ORIGIN_HEADER) or "").strip()
    match = ORIGIN.match(origin)
    return origin if match and match.group(1) == "http" else None


def _origin_host_port(origin: str) -> tuple[str, int]:
    parts = urlsplit(origin)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


async def serve_node(config: NodeConfig) -> None:
    """Run a node until SIGTERM or SIGINT."""
    server = BrowserNodeServer(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(f"avatarfarm node listening on ws://{config.host}:{server.port}/", flush=True)
    try:
        await stop.wait()
    finally:
        log.info("browser node stopping")
        await server.stop()


def main_sync(config: NodeConfig) -> int:
    try:
        asyncio.run(serve_node(config))
    except RuntimeError as exc:
        print(f"avatarfarm node: {exc}", file=sys.stderr)
        return 1
    return 0
