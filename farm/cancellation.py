"""Waiting for work the farm cancelled (a task being stopped) without swallowing the waiter's own cancellation.

`task.cancel()` followed by `suppress(CancelledError): await task` hides two things: a failure of the task (an
exception nobody reads) and, worse, a cancellation of the waiter itself arriving meanwhile, which the waiter then
carries on from as if it had not been asked to stop. `finish_cancelled` tells them apart with
`asyncio.current_task().cancelling()`: the task's own end is its concern (an exception is logged), the waiter's
cancellation is raised.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

log = logging.getLogger("avatarfarm.farm")


def being_cancelled() -> bool:
    """Whether the running task has been asked to stop (a CancelledError it sees is then its own)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def finish_cancelled(work: Awaitable[Any], what: str) -> None:
    """Await `work` (typically a task just cancelled) to its end; raise only the caller's own cancellation."""
    try:
        await work
    except asyncio.CancelledError:
        if being_cancelled():
            raise
    except Exception:
        log.exception("%s failed as it was stopped", what)
