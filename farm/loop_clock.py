"""The farm's clock for judging its bots: time during which the farm's own event loop was stalled does not count.

A bot is judged by time (no heartbeat for the heartbeat timeout, no answer to the farm's question within its
window), and everything that proves it alive (its heartbeats, its answer) is read by the farm's one event loop.
When that loop is stalled (a machine short of CPU: a farm whose loop also runs heavy work reads its connections
seconds behind; a call that blocks), a wall clock runs on while nothing is read, and healthy bots were called
hung all at once (CI saw it: two rooms of one farm called hung in the same minute, while the tests' own request
to that farm's API waited over 30 s for an answer).

This clock counts only the time the loop kept up. A timer ticks every TICK_SECONDS; a tick that runs later than
due by more than TOLERANCE_SECONDS adds the excess to the stalled total, and `now()` is the loop's time minus the
stalled time (including the current tick's overdue part, so the clock stands still during a stall rather than
jumping when it ends). A saturated loop whose callbacks wait seconds in line runs the clock slower by as much.
Each loop has its own clock, started at its first use; stalls of STALL_LOG_SECONDS or more are logged."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable
from typing import TypeVar

log = logging.getLogger("avatarfarm.farm")

TICK_SECONDS = 0.25
# A timer fires a few milliseconds late on a healthy loop; lateness beyond this is a stall.
TOLERANCE_SECONDS = 0.1
STALL_LOG_SECONDS = 2.0
# At most one stall line per this many seconds (a starved farm would otherwise log one per tick).
LOG_EVERY_SECONDS = 30.0

T = TypeVar("T")


class LoopClock:
    """One event loop's clock of the time it kept up (see the module's docstring)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Weakly: the clocks are kept by loop in a WeakKeyDictionary, which a strong reference back would pin.
        self._loop_ref = weakref.ref(loop)
        self.stalled_seconds = 0.0
        self.worst_stall_seconds = 0.0
        self._unlogged = 0.0
        self._logged_at = float("-inf")
        self._due = loop.time() + TICK_SECONDS
        loop.call_later(TICK_SECONDS, self._tick)

    @property
    def _loop(self) -> asyncio.AbstractEventLoop:
        loop = self._loop_ref()
        assert loop is not None, "a loop's clock is used only while its loop runs"
        return loop

    def _tick(self) -> None:
        at = self._loop.time()
        late = at - self._due - TOLERANCE_SECONDS
        if late > 0:
            self.stalled_seconds += late
            self.worst_stall_seconds = max(self.worst_stall_seconds, late)
            if late >= STALL_LOG_SECONDS:
                self._unlogged += late
        if self._unlogged and at - self._logged_at >= LOG_EVERY_SECONDS:
            log.warning(
                "the farm's event loop was stalled for %.1f s (its machine is short of CPU, or a call blocked it);"
                " bots are not judged for that time",
                self._unlogged,
            )
            self._unlogged, self._logged_at = 0.0, at
        self._due = at + TICK_SECONDS
        self._loop.call_later(TICK_SECONDS, self._tick)

    def now(self) -> float:
        at = self._loop.time()
        return at - self.stalled_seconds - max(0.0, at - self._due - TOLERANCE_SECONDS)


_clocks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopClock] = weakref.WeakKeyDictionary()


def clock() -> LoopClock:
    """The running loop's clock (started on first use)."""
    loop = asyncio.get_running_loop()
    found = _clocks.get(loop)
    if found is None:
        found = _clocks[loop] = LoopClock(loop)
    return found


def now() -> float:
    """Seconds of the running loop's kept-up time (comparable only with other readings of the same loop)."""
    return clock().now()


async def within(awaitable: Awaitable[T], seconds: float) -> T:
    """`awaitable`'s result, or TimeoutError once `seconds` of kept-up time have passed without one (the
    awaitable is then cancelled). Like asyncio.wait_for, but a stalled loop does not use up the time."""
    task = asyncio.ensure_future(awaitable)
    deadline = now() + seconds
    try:
        while not task.done():
            remaining = deadline - now()
            if remaining <= 0:
                raise TimeoutError
            # Kept-up time never runs faster than the wall clock: `remaining` real seconds are at least enough.
            await asyncio.wait({task}, timeout=remaining)
        return task.result()
    finally:
        if not task.done():
            task.cancel()
