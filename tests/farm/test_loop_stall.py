"""A stalled farm (its event loop blocked for longer than the heartbeat timeout: a loaded machine, a blocking
call) does not call its bots hung when their heartbeats were only waiting to be read; a bot that really stopped
is still called hung. (This was the node-placement flake: a test blocked the farm's loop while a browser node
started, bots were called hung, their rooms failed and freed slots, and the next room was placed elsewhere.)"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from farm.room.pulse_question import MAX_RESCUES, ask_window
from state.models import RoomStatus
from tests.support.polling import until
from tests.support.scripted_pages import Rig, ScriptedBrowser, in_room

HEARTBEAT_TIMEOUT = 2.0


async def _hung_events(rig: Rig) -> list[dict[str, Any]]:
    events = await rig.repository.events.all(room_id=rig.room_id, limit=1000)
    return [e.detail for e in events if e.kind == "room.status" and e.detail.get("reason") == "hung"]


async def test_a_stalled_farm_does_not_call_a_beating_bot_hung(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory(heartbeat_timeout=HEARTBEAT_TIMEOUT)
    bot = await rig.node.next_bot(1)
    await in_room(bot)
    await rig.wait_status(RoomStatus.in_room)
    # The page keeps beating: its next heartbeat is on its way when the farm's loop stalls for longer than the
    # heartbeat timeout (the blocking call below stands for a loaded machine).
    asyncio.get_running_loop().call_soon(bot.heartbeat)
    time.sleep(HEARTBEAT_TIMEOUT + 1.0)  # noqa: ASYNC251 - the stall under test: the loop must not run
    await asyncio.sleep(0)
    bot.state("idle", detail={"room": "Room 1", "why": "room_empty"})  # the page carries on: the farm hears it
    await rig.wait_status(RoomStatus.idle)
    assert await _hung_events(rig) == []
    assert len(rig.node.bots) == 1, "the bot was relaunched as if it had hung"


async def test_a_bot_that_stops_beating_is_still_called_hung(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory(heartbeat_timeout=HEARTBEAT_TIMEOUT)
    bot = await rig.node.next_bot(1)
    await in_room(bot)
    await rig.node.next_bot(2)  # no heartbeat after the first: relaunched
    assert [e["status"] for e in await _hung_events(rig)] == ["recovering"]


# ---- a late heartbeat is a question to the page (farm/room/pulse_question.py) -------------------------------


async def _late_events(rig: Rig) -> list[dict[str, Any]]:
    events = await rig.repository.events.all(room_id=rig.room_id, limit=1000)
    return [e.detail for e in events if e.kind == "bot.heartbeats_late"]


@contextlib.asynccontextmanager
async def _beating_unheard(bot: ScriptedBrowser) -> AsyncIterator[None]:
    """The page beats every 0.2 s while its heartbeats are held up on their way (until the test lets them go)."""
    bot.heartbeats_held = True

    async def beating() -> None:
        while True:
            bot.heartbeat()
            await asyncio.sleep(0.2)

    beats = asyncio.create_task(beating())
    try:
        yield
    finally:
        beats.cancel()


async def test_a_page_whose_heartbeats_are_late_on_their_way_is_asked_and_kept(
    rig_factory: Callable[..., Any],
) -> None:
    """The page beats every 0.2 s but the farm hears none of it for longer than the timeout (a loaded farm or
    node reads its reports seconds behind): asked, the page says it beat just now, and the bot is kept; the
    event says so. (Before the question, the nodes test called such bots hung beside a busy CPU.)"""
    rig: Rig = await rig_factory(heartbeat_timeout=HEARTBEAT_TIMEOUT)
    bot = await rig.node.next_bot(1)
    await in_room(bot)
    await rig.wait_status(RoomStatus.in_room)
    async with _beating_unheard(bot):
        await until(lambda: _late_events(rig), HEARTBEAT_TIMEOUT * 4, "the farm asked the late page")
        bot.heartbeats_held = False  # its heartbeats reach the farm again
        await asyncio.sleep(HEARTBEAT_TIMEOUT * 2)
    assert await _hung_events(rig) == []
    assert len(rig.node.bots) == 1, "the bot was relaunched although its page was beating"
    [late] = await _late_events(rig)
    assert late["silent_seconds"] >= HEARTBEAT_TIMEOUT and late["page_beat_seconds_ago"] < HEARTBEAT_TIMEOUT
    assert any("pulse" in call for call in bot.calls)


async def test_a_stall_while_the_page_is_asked_does_not_use_up_its_window(rig_factory: Callable[..., Any]) -> None:
    """The farm asks a late page; its answer takes longer than the question's window by the wall clock, but the
    farm's loop was stalled for most of that time (CI saw it: the question "did not answer within 20 s" on a farm
    whose own API took over 30 s to answer a request). The answer, read once the loop runs again, keeps the bot."""
    rig: Rig = await rig_factory(heartbeat_timeout=HEARTBEAT_TIMEOUT)
    bot = await rig.node.next_bot(1)
    await in_room(bot)
    await rig.wait_status(RoomStatus.in_room)
    window = ask_window(HEARTBEAT_TIMEOUT)
    bot.pulse_delay = window + 1.0
    async with _beating_unheard(bot):
        await until(lambda: any("pulse" in call for call in bot.calls), HEARTBEAT_TIMEOUT * 4, "the farm asked")
        time.sleep(window - 0.5)  # noqa: ASYNC251 - the stall under test: the loop must not run
        await until(lambda: _late_events(rig), window * 2, "the page's answer was read")
        bot.heartbeats_held = False
        await asyncio.sleep(HEARTBEAT_TIMEOUT)
    assert await _hung_events(rig) == []
    assert len(rig.node.bots) == 1, "the bot was relaunched although its page answered"


async def test_a_page_that_does_not_answer_the_question_is_hung(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory(heartbeat_timeout=HEARTBEAT_TIMEOUT)
    bot = await rig.node.next_bot(1)
    await in_room(bot)
    bot.answers_pulse = False  # its main thread is stuck: neither heartbeats nor answers
    await rig.node.next_bot(2)
    assert [e["status"] for e in await _hung_events(rig)] == ["recovering"]
    assert await _late_events(rig) == []


async def test_a_page_whose_heartbeats_never_arrive_is_kept_only_twice(rig_factory: Callable[..., Any]) -> None:
    """A page that answers but whose heartbeats never reach the farm (its report path is broken) is kept on its
    word MAX_RESCUES times in a row, then called hung."""
    rig: Rig = await rig_factory(heartbeat_timeout=HEARTBEAT_TIMEOUT)
    bot = await rig.node.next_bot(1)
    await in_room(bot)
    async with _beating_unheard(bot):
        await rig.node.next_bot(2)
    assert len(await _late_events(rig)) == MAX_RESCUES
    assert [e["status"] for e in await _hung_events(rig)] == ["recovering"]
