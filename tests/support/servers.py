"""Run ASGI apps in-process on the test's event loop, or CLI servers as subprocesses, on loopback only."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from farm.tls_context import shared_tls_context
from tests.support.ports import bound_socket, free_port


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    port: int


@contextlib.asynccontextmanager
async def serve_app(app: object, sock: socket.socket | None = None) -> AsyncIterator[RunningServer]:
    """Serve an ASGI app with uvicorn on 127.0.0.1:<kernel port> inside the running loop.

    Pass `sock` (from bound_socket()) when the app must know its own URL before it starts.
    """
    sock = sock or bound_socket()
    port = int(sock.getsockname()[1])
    # Test clients keep connections in their pools while a test waits on something else: uvicorn's default
    # 5 s keep-alive would close them under a client about to reuse one (an httpcore.ReadError).
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_keep_alive=120)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.02)
        yield RunningServer(base_url=f"http://127.0.0.1:{port}", port=port)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(task, timeout=10)
        sock.close()


@dataclass
class CliServer:
    base_url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    kept: str | None = None  # the whole output, once the process has stopped and its temporary log is gone

    def output(self) -> str:
        """Everything the process printed so far (stdout and stderr)."""
        return self.kept if self.kept is not None else self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def run_cli_server(
    args: Sequence[str],
    *,
    health_path: str = "/healthz",
    port: int | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
    log_path: Path | None = None,
) -> Iterator[CliServer]:
    """Start `avatarfarm <args> --port N` as a subprocess and wait until health_path answers 200.

    Output goes to `log_path` (by default a temporary file, removed once the process has stopped; `output()`
    still answers). The process gets SIGTERM on exit (SIGKILL after 10 s), so tests always stop it.
    """
    port = port or free_port()
    cmd = [sys.executable, "-m", "api.cli", *args, "--port", str(port)]
    temporary = log_path is None
    if log_path is None:
        handle, name = tempfile.mkstemp(prefix="avatarfarm-cli-", suffix=".log")
        os.close(handle)
        log_path = Path(name)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    server = CliServer(f"http://127.0.0.1:{port}", port, proc, log_path)
    deadline = time.monotonic() + timeout
    try:
        with httpx.Client(verify=shared_tls_context(), timeout=1) as probe:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}:\n{server.output()}")
                try:
                    if probe.get(server.base_url + health_path).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{' '.join(cmd)} did not answer {health_path} within {timeout}s")
                time.sleep(0.1)
        yield server
    finally:
        stop_process(proc)
        if temporary:
            server.kept = server.output()
            log_path.unlink(missing_ok=True)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return int(proc.returncode)
