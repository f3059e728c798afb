"""`avatarfarm serve` as a real process on a fixed port and DATA_DIR, so that a test can SIGKILL (or SIGTERM) it
and start it again on the same state; and the bot browsers (main Chromium processes) it owns. The one
manager-process harness of the suite (the failure campaign, the restart tests, the webhook restart test)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from farm.browsers.blocked_ports import BLOCKED_PORTS
from farm.browsers.orphans import Owner, browsers_of
from farm.browsers.playwright_driver import describe_process
from farm.tls_context import shared_tls_context
from tests.fakes_zoom.harness import SDK_KEY, SDK_SECRET
from tests.farm.harness import LA_API_KEY, TOKEN
from tests.support.process_tree import argv, tree

READY_WITHIN_SECONDS = 45.0


def restartable_port(proc: Path = Path("/proc")) -> int:
    """A free port below the kernel's ephemeral range. A kernel-chosen port comes from that range: once the
    manager is killed, any outgoing connection on the machine may take it as its source port, and the restart
    then finds it in use. Never one browsers refuse (a fresh-clone run drew 10080: every bot's page load failed
    with ERR_UNSAFE_PORT)."""
    try:
        low = int((proc / "sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    rng = random.SystemRandom()
    for _ in range(100):
        port = rng.randrange(10_000, max(10_001, low))
        if port in BLOCKED_PORTS:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port below the ephemeral range")


def bot_browsers(manager: Owner, proc: Path = Path("/proc")) -> list[int]:
    """PIDs of the main Chromium processes (not their renderers or helpers) launched by that manager."""
    return sorted(browsers_of(manager, proc))


class ManagerProcess:
    """One manager at a time; `start` after a kill runs a new process on the same port and data dir."""

    def __init__(
        self, workdir: Path, zoom_url: str, liveavatar_url: str, *, ready: str = "/readyz", **settings: str
    ) -> None:
        """`settings` become AVATARFARM_<NAME> variables; `ready` is the path that answers 200 once it is up
        (/healthz where no fake Zoom or LiveAvatar runs: in sim mode /readyz says they are missing)."""
        self.port = restartable_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = workdir / "var"
        self.log = workdir / "serve.log"
        self.ready = ready
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AVATARFARM_")},
            "AVATARFARM_DATA_DIR": str(self.data_dir),
            "AVATARFARM_PORT": str(self.port),
            "AVATARFARM_API_TOKEN": TOKEN,
            "AVATARFARM_ZOOM_API_BASE": zoom_url,
            "AVATARFARM_ZOOM_SDK_KEY": SDK_KEY,
            "AVATARFARM_ZOOM_SDK_SECRET": SDK_SECRET,
            "AVATARFARM_LIVEAVATAR_API_BASE": liveavatar_url,
            "AVATARFARM_LIVEAVATAR_API_KEY": LA_API_KEY,
            **{f"AVATARFARM_{name.upper()}": value for name, value in settings.items()},
        }
        self.process: asyncio.subprocess.Process | None = None
        # Every manager process started, oldest first, by pid and start time: a pid alone may name another
        # process by the time the test ends (pids wrap around within a run), whose browsers must not be killed.
        self.owners: list[Owner] = []

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def database(self) -> Path:
        return self.data_dir / "avatarfarm.sqlite3"

    async def start(self) -> float:
        """Start the manager and wait until its ready path answers 200; returns the seconds that took."""
        started = time.monotonic()
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "api.cli", "serve", env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.owners.append(Owner.of(self.process.pid))
        deadline = started + READY_WITHIN_SECONDS
        async with httpx.AsyncClient(verify=shared_tls_context(), timeout=5) as client:
            while True:
                if self.process.returncode is not None:
                    raise AssertionError(
                        f"the manager exited with {self.process.returncode}:\n{self.tail()}\n{self._port_users()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}{self.ready}")).status_code == 200:
                        return time.monotonic() - started
                if time.monotonic() > deadline:
                    processes = self._processes()
                    self.send(signal.SIGUSR1)  # its threads' stacks, into its log (api/cli.py)
                    await asyncio.sleep(1)
                    raise AssertionError(
                        f"the manager was not ready within {READY_WITHIN_SECONDS}s:\n{processes}\n{self.tail(150)}"
                    )
                await asyncio.sleep(0.1)

    def _processes(self) -> str:
        """The manager and its descendants: each one's state, kernel wait and CPU time (hung, or only starved)."""
        lines = [f"{describe_process(pid)}: {' '.join(argv(pid)[:3])[:160]}" for pid in tree(self.pid)]
        return "processes:\n" + "\n".join(lines)

    async def kill(self) -> None:
        """SIGKILL, as the OOM killer or a node failure would: no clean-up of any kind."""
        self.send(signal.SIGKILL)
        await self.exited(10)

    def send(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    async def exited(self, within: float) -> int:
        """The manager's exit code, once it has exited (within `within` seconds)."""
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), within)

    async def stop(self) -> None:
        """SIGTERM (the manager's clean shutdown), then SIGKILL if it is still there after 20 s; and any bot
        browser of any manager this object started."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        for manager in self.owners:
            for pid in bot_browsers(manager):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def browsers(self) -> list[int]:
        return bot_browsers(self.owners[-1])

    def _port_users(self) -> str:
        """The sockets on the manager's port (`ss`), to tell who took it."""
        try:
            found = subprocess.run(
                ["ss", "-tanp", f"( sport = :{self.port} )"], capture_output=True, text=True, timeout=5, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return "(ss unavailable)"
        return found.stdout

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
