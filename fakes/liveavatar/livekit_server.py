"""The fake's own LiveKit server: a `livekit-server` child process on loopback, free ports, fresh keys.

Found (in this order) at $AVATARFARM_LIVEKIT_SERVER, as `livekit-server` on PATH, or in the project's `bin/`
(where `make` builds it from LiveKit's Go module). It is started on first use (the first session start, or
GET /admin/livekit) and stopped with the fake. It runs in its own process group, and on Linux it is also told to
die with the fake (PR_SET_PDEATHSIG), so not even a SIGKILL of the fake leaves it behind. That is set by a small
trampoline (fakes/dying_with_parent.py: a fresh interpreter that sets it and execs the server), never by Python
code run between fork and exec in this process: there, with LiveKit's native threads about, it can deadlock (see
fakes/serving.py).

Its config (a 0600 file in a private temp dir, never on a command line) binds signalling, ICE/TCP and ICE/UDP to
127.0.0.1 only, advertises 127.0.0.1 as the node IP, and turns off everything that would reach the internet
(external-IP discovery through STUN, TURN).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from fakes.dying_with_parent import dying_with_this_process

log = logging.getLogger(__name__)

ENV_BINARY = "AVATARFARM_LIVEKIT_SERVER"
PROJECT_BIN = Path(__file__).resolve().parents[2] / "bin" / "livekit-server"
HOW_TO_GET_ONE = (
    "livekit-server not found: run `make` (builds it with Go into ./bin), `brew install livekit`, or put LiveKit's "
    f"release binary on PATH (or set {ENV_BINARY})"
)


class LiveKitUnavailable(RuntimeError):
    """No livekit-server binary, or it did not come up."""


class _PortTaken(LiveKitUnavailable):
    pass


_START_ATTEMPTS = 4


@dataclass(frozen=True)
class LiveKitEndpoint:
    url: str  # ws://127.0.0.1:<port>
    api_key: str
    api_secret: str

    @property
    def http_url(self) -> str:
        return "http" + self.url.removeprefix("ws")


def find_binary() -> Path | None:
    override = os.environ.get(ENV_BINARY)
    if override:
        return Path(override) if Path(override).is_file() else None
    found = shutil.which("livekit-server")
    if found:
        return Path(found)
    return PROJECT_BIN if PROJECT_BIN.is_file() else None


def _free_port(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _config_yaml(signal_port: int, tcp_port: int, udp_port: int, stun_port: int, api_key: str, api_secret: str) -> str:
    # stun_servers: without one, livekit-server hands its clients Google's STUN servers; a closed loopback port
    # keeps them on this machine.
    return f"""\
port: {signal_port}
bind_addresses: ["127.0.0.1"]
log_level: warn
rtc:
  tcp_port: {tcp_port}
  udp_port: {udp_port}
  use_external_ip: false
  node_ip: 127.0.0.1
  enable_loopback_candidate: true
  stun_servers: ["127.0.0.1:{stun_port}"]
  interfaces:
    includes: ["lo"]
turn:
  enabled: false
keys:
  {api_key}: {api_secret}
"""


_WORKDIR_PREFIX = "fake-liveavatar-livekit-"


def _sweep_stale_workdirs() -> None:
    """Remove the config dirs of fakes that died without cleaning up (a SIGKILL): their pid is in the name."""
    for path in Path(tempfile.gettempdir()).glob(f"{_WORKDIR_PREFIX}*-*"):
        pid = path.name.removeprefix(_WORKDIR_PREFIX).split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except PermissionError:  # someone else's live process
            continue


class LiveKitServer:
    """One livekit-server child; `await ensure_started()` is idempotent and safe to call concurrently."""

    def __init__(self, binary: Path | None = None, *, startup_timeout_s: float = 20.0) -> None:
        self._binary = binary
        self._startup_timeout_s = startup_timeout_s
        self._process: asyncio.subprocess.Process | None = None
        self._endpoint: LiveKitEndpoint | None = None
        self._lock = asyncio.Lock()
        self._workdir: str | None = None
        self._log_path: Path | None = None

    @property
    def endpoint(self) -> LiveKitEndpoint | None:
        return self._endpoint

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def ensure_started(self) -> LiveKitEndpoint:
        async with self._lock:
            if self._endpoint is not None and self._process is not None and self._process.returncode is None:
                return self._endpoint
            await self._stop_locked()
            # The free ports are picked before the server binds them: on a busy machine another socket can take
            # one in between, so a failed bind is retried with new ports.
            for attempt in range(_START_ATTEMPTS):
                try:
                    return await self._start_locked()
                except _PortTaken:
                    if attempt == _START_ATTEMPTS - 1:
                        raise LiveKitUnavailable("livekit-server could not bind its ports") from None
            raise AssertionError("unreachable")

    async def _start_locked(self) -> LiveKitEndpoint:
        binary = self._binary or find_binary()
        if binary is None:
            raise LiveKitUnavailable(HOW_TO_GET_ONE)
        api_key = "fake-" + secrets.token_hex(6)
        api_secret = secrets.token_urlsafe(36)
        signal_port = _free_port(socket.SOCK_STREAM)
        tcp_port = _free_port(socket.SOCK_STREAM)
        udp_port = _free_port(socket.SOCK_DGRAM)
        stun_port = _free_port(socket.SOCK_DGRAM)
        _sweep_stale_workdirs()
        self._workdir = tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{os.getpid()}-")
        config = Path(self._workdir) / "livekit.yaml"
        config.touch(mode=0o600)
        config.write_text(_config_yaml(signal_port, tcp_port, udp_port, stun_port, api_key, api_secret))
        # Its log goes to a file (a pipe nobody reads would fill up and stall the server).
        self._log_path = Path(self._workdir) / "livekit.log"
        with self._log_path.open("wb") as log_file:
            self._process = await asyncio.create_subprocess_exec(
                *dying_with_this_process([str(binary), "--config", str(config)]),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                start_new_session=True,
            )
        endpoint = LiveKitEndpoint(f"ws://127.0.0.1:{signal_port}", api_key, api_secret)
        try:
            await self._wait_ready(endpoint)
        except BaseException:
            await self._stop_locked()
            raise
        self._endpoint = endpoint
        log.info("livekit-server %s ready at %s (pid %s)", binary, endpoint.url, self._process.pid)
        return endpoint

    async def _wait_ready(self, endpoint: LiveKitEndpoint) -> None:
        assert self._process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._startup_timeout_s
        # Plain HTTP on loopback: verify=False spares building a TLS context (httpx loads the whole CA bundle for
        # each client it makes, ~50 ms of CPU) that this probe could never use.
        async with httpx.AsyncClient(timeout=1.0, verify=False, trust_env=False) as client:
            while loop.time() < deadline:
                if self._process.returncode is not None:
                    tail = self._log_path.read_text(errors="replace")[-400:] if self._log_path else ""
                    if "address already in use" in tail:
                        raise _PortTaken(tail)
                    raise LiveKitUnavailable(f"livekit-server exited with {self._process.returncode}: {tail}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(endpoint.http_url + "/")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise LiveKitUnavailable(f"livekit-server did not answer within {self._startup_timeout_s:g}s")

    async def stop(self) -> None:
        async with self._lock:
            await self._stop_locked()

    async def _stop_locked(self) -> None:
        process, self._process, self._endpoint = self._process, None, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        elif process is not None:
            await process.wait()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
