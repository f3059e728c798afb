"""The farm on the fakes, over REST: a class goes live, a crashed browser comes back, an avatar drop only
restarts the avatar, ending a session leaves and stops everything."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from farm.browsers.orphans import Owner, browsers_of
from tests.farm.harness import running_farm

pytestmark = pytest.mark.browser

ROOMS = ["Room 1", "Room 2", "Room 3"]


def _chromium_main_pids() -> list[int]:
    return browsers_of(Owner.me())


async def test_a_three_room_class_goes_live_and_ends_cleanly(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        number = await stack.meeting(ROOMS)
        created = await stack.start(number, ROOMS)
        assert {r["status"] for r in created["rooms"]} <= {"queued", "starting"}
        session = await stack.wait_all_live(created["id"])
        assert session["summary"]["rooms_live"] == 3
        bots = await stack.bots_in_meeting(number)
        assert sorted(p["room"]["name"] for p in bots) == ROOMS
        assert len(await stack.vendor_active()) == 3
        detail = (await stack.client.get(f"/api/sessions/{created['id']}/rooms/{created['rooms'][0]['id']}")).json()
        assert [b["attempt"] for b in detail["bots"]] == [1]
        assert detail["avatar_sessions"][0]["status"] == "active"
        await asyncio.sleep(3)
        media = (await stack.session(created["id"]))["rooms"][0]["media"]
        assert media is not None and media["outbound_fps"] > 0 and media["avatar_ready"] is True

        ended = await stack.client.delete(f"/api/sessions/{created['id']}")
        assert ended.status_code == 202
        await stack.wait_rooms(created["id"], lambda rooms: all(r["status"] == "ended" for r in rooms), 30, "ended")
        assert (await stack.session(created["id"]))["status"] == "ended"
        assert await stack.vendor_active() == []
        assert await stack.bots_in_meeting(number) == []
        assert _chromium_main_pids() == []
        rows = (await stack.client.get(f"/api/sessions/{created['id']}/rooms/{created['rooms'][0]['id']}")).json()
        assert all(a["status"] == "stopped" for a in rows["avatar_sessions"])


async def test_kill_9_of_a_bot_browser_brings_the_room_back_without_leaks(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        number = await stack.meeting(["Room 1"])
        created = await stack.start(number, ["Room 1"])
        room_id = created["rooms"][0]["id"]
        await stack.wait_all_live(created["id"])
        [pid] = _chromium_main_pids()
        os.kill(pid, signal.SIGKILL)

        async def recovering() -> list[Any]:
            events = await stack.repository.events.all(room_id=room_id, limit=1000)
            return [e for e in events if e.kind == "room.status" and e.detail.get("status") == "recovering"]

        for _ in range(200):  # the relaunch can be quicker than any poll of the room's status: read the log
            if await recovering():
                break
            await asyncio.sleep(0.1)
        [event] = await recovering()
        assert event.detail["reason"] == "crashed"
        await stack.wait_all_live(created["id"])
        detail = (await stack.client.get(f"/api/sessions/{created['id']}/rooms/{room_id}")).json()
        assert [b["attempt"] for b in detail["bots"]] == [1, 2]
        assert detail["bots"][0]["end_reason"] == "crashed"
        assert [a["status"] for a in detail["avatar_sessions"]] == ["stopped", "active"]
        assert len(await stack.vendor_active()) == 1
        assert len(await stack.bots_in_meeting(number)) == 1
        assert len(_chromium_main_pids()) == 1


async def test_a_warm_pool_hands_ready_browsers_to_new_rooms_and_refills(tmp_path: Path) -> None:
    async with running_farm(tmp_path, warm_pool=1) as stack:
        node = stack.farm.services.node
        assert node.warm == 1  # type: ignore[attr-defined]
        [warm_pid] = _chromium_main_pids()
        number = await stack.meeting(["Room 1"])
        created = await stack.start(number, ["Room 1"])
        await stack.wait_all_live(created["id"])
        for _ in range(100):
            if node.warm == 1 and len(_chromium_main_pids()) == 2:  # type: ignore[attr-defined]
                break
            await asyncio.sleep(0.1)
        pids = _chromium_main_pids()
        assert warm_pid in pids and len(pids) == 2  # the bot runs in the pre-launched browser; a new one waits
