"""Waiting for something a test cannot be told about (a room's status, a roster, a vendor's list): poll it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def until(check: Callable[[], Awaitable[bool]], within: float, what: str, *, every: float = 0.25) -> None:
    """Poll `check` until it is true; fail after `within` seconds, saying what was awaited."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(every)
