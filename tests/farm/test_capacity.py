"""Bot slots: first come, first served, and no slot is lost whatever happens to a room waiting in line."""

from __future__ import annotations

import asyncio

import pytest

from farm.browsers.capacity import Capacity


async def _nothing(ahead: int) -> None:
    return None


async def test_a_room_whose_wait_callback_fails_leaves_the_line_without_taking_a_slot() -> None:
    capacity = Capacity(1)

    async def broken(ahead: int) -> None:
        raise RuntimeError("the status write failed")

    held = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with capacity.slot("room-1", on_wait=_nothing):
            held.set()
            await release.wait()

    holding = asyncio.create_task(holder())
    await held.wait()
    with pytest.raises(RuntimeError):
        async with capacity.slot("room-2", on_wait=broken):
            pytest.fail("room-2 must not get a slot")
    assert capacity.queued == []
    release.set()
    await holding
    async with asyncio.timeout(5):  # the freed slot is there for the next room, not kept by room-2's ghost
        async with capacity.slot("room-3", on_wait=_nothing):
            assert capacity.running == 1


async def test_a_room_cancelled_while_waiting_gives_its_place_to_the_next() -> None:
    capacity = Capacity(1)
    order: list[str] = []
    release = asyncio.Event()

    async def room(name: str) -> None:
        async with capacity.slot(name, on_wait=_nothing):
            order.append(name)
            await release.wait()

    first = asyncio.create_task(room("room-1"))
    await asyncio.sleep(0)
    second = asyncio.create_task(room("room-2"))
    third = asyncio.create_task(room("room-3"))
    await asyncio.sleep(0)
    assert capacity.queued == ["room-2", "room-3"]
    second.cancel()
    release.set()
    await asyncio.gather(first, third)
    assert order == ["room-1", "room-3"]
    assert capacity.running == 0 and capacity.queued == []
