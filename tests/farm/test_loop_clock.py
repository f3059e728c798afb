"""The farm's clock of kept-up time (farm/loop_clock.py): it runs with the loop, stands still while the loop is
stalled, and `within` gives an awaitable its time on that clock."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import weakref

import pytest

from farm import loop_clock


async def test_the_clock_runs_with_the_loop_less_what_it_saw_stalled() -> None:
    """On a free loop the clock runs with the wall clock; on a busy machine it runs slower by exactly the stalls
    its ticks saw (the part of a tick still overdue, at most a tick and its tolerance, aside)."""
    loop = asyncio.get_running_loop()
    clock = loop_clock.clock()
    # The clock's interval is read inside the wall clock's, so it cannot come out longer by the read's own time.
    wall = loop.time()
    started, stalled = clock.now(), clock.stalled_seconds
    await asyncio.sleep(0.6)
    kept = clock.now() - started
    passed = loop.time() - wall
    assert 0 < kept <= passed
    seen = clock.stalled_seconds - stalled
    assert kept == pytest.approx(passed - seen, abs=loop_clock.TICK_SECONDS + loop_clock.TOLERANCE_SECONDS)


async def test_the_clock_stands_still_while_the_loop_is_stalled(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loop_clock, "STALL_LOG_SECONDS", 0.5)
    before = loop_clock.now()
    time.sleep(1.2)  # noqa: ASYNC251 - the stall under test
    during = loop_clock.now() - before  # read before the clock's own timer has run: no jump either way
    assert during <= loop_clock.TICK_SECONDS + loop_clock.TOLERANCE_SECONDS
    with caplog.at_level(logging.WARNING, "avatarfarm.farm"):
        await asyncio.sleep(0.3)
    after = loop_clock.now() - before
    assert during <= after <= during + 0.3 + loop_clock.TICK_SECONDS + loop_clock.TOLERANCE_SECONDS
    assert loop_clock.clock().worst_stall_seconds >= 0.8
    assert any("event loop was stalled" in r.getMessage() for r in caplog.records)


async def test_within_does_not_count_a_stall_against_what_it_waits_for() -> None:
    """3 s of wall clock against a 2 s window, 2.6 s of it a stall: under a second kept up, whatever else the
    machine runs (a busy machine only adds to what the clock sees stalled). A wait_for would time out."""
    waiting = asyncio.create_task(loop_clock.within(asyncio.sleep(3.0, "answered"), 2.0))
    await asyncio.sleep(0.05)
    time.sleep(2.6)  # noqa: ASYNC251 - the stall
    assert await waiting == "answered"


async def test_within_gives_up_after_its_time_on_a_free_loop() -> None:
    never = asyncio.get_running_loop().create_future()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        await loop_clock.within(never, 0.4)
    assert loop.time() - started >= 0.4
    assert never.cancelled()


def test_a_clock_does_not_keep_its_loop_alive() -> None:
    async def read() -> float:
        return loop_clock.now()

    loop = asyncio.new_event_loop()
    loop.run_until_complete(read())
    loop.close()
    gone = weakref.ref(loop)
    del loop
    gc.collect()
    assert gone() is None
