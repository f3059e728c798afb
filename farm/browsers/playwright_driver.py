"""Playwright's driver for the farm's own browsers: the Node.js process the farm talks to, which launches every
local Chromium. It gets the browsers' allow-listed environment (farm/browsers/node_server.py's driver_env: what Chromium
needs plus Playwright's own PW_*/PLAYWRIGHT_* variables), never the farm's AVATARFARM_* secrets: Playwright
would hand the driver a copy of the whole environment. tests/farm/test_bot_browser_isolation.py reads the
driver's environment from /proc and fails if a Playwright upgrade moves what is replaced here.

A driver that does not answer its first message within DRIVER_START_SECONDS is killed and started again, once,
with twice the time: a fresh-clone run saw a manager's start wait 45 s on a driver that was alive and silent,
and Playwright itself has no deadline there. What the silent driver was doing (its state, kernel wait and CPU
time: hung, or only starved of CPU) is logged first.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import weakref
from pathlib import Path

from playwright._impl import transport
from playwright.async_api import Playwright, async_playwright

from farm.browsers.node_server import driver_env
from farm.browsers.orphans import stat_fields

log = logging.getLogger("avatarfarm.farm")

# A driver starts in under a second quiet and in about 4 s with eight CPU hogs on two cores (measured).
DRIVER_START_SECONDS = 20.0
DRIVER_START_ATTEMPTS = 2
DRIVER_ARGUMENT = b"run-driver"
KILLED_DRIVER_SECONDS = 5.0

# One start at a time in an event loop: the environment is swapped module-wide across an await, and a start's
# driver is told from the others by being the one new child. (A lock per loop: an asyncio.Lock belongs to the
# first loop that waits on it, and a test process runs many.)
_starting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


class DriverDidNotStart(Exception):
    """Playwright's driver did not answer, after every attempt."""


async def start_playwright(*, within: float = DRIVER_START_SECONDS) -> Playwright:
    """async_playwright().start(), its driver spawned with the allow-listed environment, within a deadline."""
    async with _starting.setdefault(asyncio.get_running_loop(), asyncio.Lock()):
        for attempt in range(1, DRIVER_START_ATTEMPTS + 1):
            before = _drivers()
            starting = asyncio.ensure_future(_start_once())
            try:
                await asyncio.wait({starting}, timeout=within * attempt)
            except asyncio.CancelledError:
                starting.cancel()
                raise
            if starting.done():
                return starting.result()
            silent = _drivers() - before
            log.warning(
                "Playwright's driver did not answer within %.0f s (attempt %d of %d): %s",
                within * attempt,
                attempt,
                DRIVER_START_ATTEMPTS,
                "; ".join(describe_process(pid) for pid in sorted(silent)) or "its process is gone",
            )
            await _end(silent, starting)
        raise DriverDidNotStart(
            f"Playwright's driver did not answer in {DRIVER_START_ATTEMPTS} attempts of {within:.0f} s and more"
        )


async def _end(silent: set[int], starting: asyncio.Future[Playwright]) -> None:
    """Kill the silent drivers and let the start fail on their end (Playwright then reads its own errors),
    cancelling it only if it still waits (its pipe closes once they are gone)."""
    for pid in silent:
        _kill(pid)
    done, _ = await asyncio.wait({starting}, timeout=KILLED_DRIVER_SECONDS)
    if not done:
        starting.cancel()
    await asyncio.wait({starting})
    if not starting.cancelled() and starting.exception() is None:
        await starting.result().stop()  # answered just as it was killed: a driver we will not use


async def _start_once() -> Playwright:
    whole = transport.get_driver_env
    transport.get_driver_env = driver_env  # read once, when start() spawns the driver
    try:
        return await async_playwright().start()
    finally:
        transport.get_driver_env = whole


def _drivers(proc: Path = Path("/proc")) -> set[int]:
    """This process's children that are Playwright drivers."""
    me = str(os.getpid())
    found: set[int] = set()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if stat_fields(entry.name, proc)[1] != me:
                continue
            if DRIVER_ARGUMENT in (entry / "cmdline").read_bytes().split(b"\0"):
                found.add(int(entry.name))
        except (OSError, IndexError):
            continue  # it ended while we looked
    return found


def describe_process(pid: int, proc: Path = Path("/proc")) -> str:
    """A process's state, what it waits on in the kernel, and the CPU it has used: hung or only starved."""
    try:
        fields = stat_fields(pid, proc)
        wchan = (proc / str(pid) / "wchan").read_text().strip() or "-"
    except (OSError, IndexError):
        return f"pid {pid} gone"
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    return f"pid {pid} state {fields[0]}, waiting in {wchan}, {cpu:.2f} s of CPU"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it ended on its own
