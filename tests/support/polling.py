"""Waiting for something a test cannot be told about (a room's status, a roster, a vendor's list): poll it.

The one poller of the suite: `until` takes a check (plain or async) and returns its first truthy answer, or
fails after `within` seconds saying what was awaited. A poller that gives up silently lets a test pass on
nothing, so there is no other.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
async def until(check: Callable[[], Awaitable[T]], within: float, what: str, *, every: float = 0.25) -> T: ...
@overload
async def until(check: Callable[[], T], within: float, what: str, *, every: float = 0.25) -> T: ...
async def until(check: Callable[[], Any], within: float, what: str, *, every: float = 0.25) -> Any:
    """Poll `check` until it answers something truthy (returned); fail after `within` seconds with `what`."""
    deadline = time.monotonic() + within
    while True:
        answer = check()
        value = await answer if inspect.isawaitable(answer) else answer
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(every)
