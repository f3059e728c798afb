"""A stalled farm (its event loop blocked for longer than the heartbeat timeout: a loaded machine, a blocking
call) does not call its bots hung when their heartbeats were only waiting to be read; a bot that really stopped
is still called hung. (This was the node-placement flake: a test blocked the farm's loop while a browser node
started, bots were called hung, their rooms failed and freed slots, and the next room was placed elsewhere.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from state.models import RoomStatus
from tests.support.scripted_pages import Rig, in_room

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
