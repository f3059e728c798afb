"""Waiting for work the farm stopped never swallows the waiter's own cancellation (farm/cancellation.py), in the
places that wait so: a runner's wait, an avatar attempt's shut, the node pool's and the background jobs' stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from farm.cancellation import finish_cancelled
from tests.support.scripted_pages import Rig, go_live


async def _slow_to_stop(stopping: asyncio.Event) -> None:
    """Work whose own clean-up takes a while once cancelled (a browser closing, a vendor stop)."""
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        stopping.set()
        await asyncio.Event().wait()


async def test_the_waiter_is_cancelled_while_the_work_it_stopped_is_still_ending() -> None:
    stopping = asyncio.Event()
    work = asyncio.create_task(_slow_to_stop(stopping))
    await asyncio.sleep(0)
    work.cancel()
    waiter = asyncio.create_task(finish_cancelled(work, "slow work"))
    await stopping.wait()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    work.cancel()  # (the test's own tidy-up of the stubborn work)
    await asyncio.wait({work})


async def test_the_work_ending_cancelled_or_failing_is_not_the_waiters_error(caplog: pytest.LogCaptureFixture) -> None:
    async def fails() -> None:
        raise RuntimeError("boom")

    cancelled = asyncio.create_task(asyncio.Event().wait())
    await asyncio.sleep(0)
    cancelled.cancel()
    await finish_cancelled(cancelled, "cancelled work")
    with caplog.at_level(logging.ERROR, logger="avatarfarm.farm"):
        await finish_cancelled(asyncio.create_task(fails()), "failing work")
    assert "failing work failed as it was stopped" in caplog.text


async def test_waiting_for_a_runner_stays_cancellable(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory()
    await go_live(await rig.node.next_bot(1))
    waiter = asyncio.create_task(rig.runner.wait())
    await asyncio.sleep(0.1)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not rig.runner.done.is_set(), "cancelling a waiter must not touch the runner"
