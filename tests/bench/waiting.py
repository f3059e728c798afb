"""Waiting in benchmarks: until a check holds, or a TimeoutError that says what did not happen."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def until(check: Callable[[], Awaitable[bool]], within: float, what: str = "the awaited state") -> float:
    """Polls `check` until it is true; returns the seconds it took."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > within:
            raise TimeoutError(f"{what}: not reached within {within:g}s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started
