"""Breakout assignment as Zoom does it: a room pre-assigned to the bot never applies to it (an SDK participant),
so the bot waits in the main session; the room tells the professor in words what the host must do, and an
assignment in the meeting gets the bot into its room."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from farm.room.bot_page_config import PageTimings
from tests.farm.harness import running_farm

pytestmark = pytest.mark.browser

BOT = "Prof. Ada (AI) · Room 1"


async def test_a_bot_left_unassigned_says_what_the_host_must_do(tmp_path: Path) -> None:
    # The page's notice comes after 3 s here instead of the product's 20.
    async with running_farm(tmp_path, farm_options={"page_timings": PageTimings(unassigned_notice_ms=3000)}) as stack:
        number = await stack.meeting(["Room 1"], self_select=False)
        # Pre-assigned before the bot joins: Zoom never applies that to an SDK participant.
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name=BOT, room="Room 1")
        session = await stack.start(number, ["Room 1"])

        def waiting(rooms: list[dict[str, Any]]) -> bool:
            return any(r["status"] == "in_main_session" and r["reason"] == "waiting_for_assignment" for r in rooms)

        await stack.wait_rooms(session["id"], waiting, 90, "the room to say it waits for an assignment")
        [room] = (await stack.session(session["id"]))["rooms"]
        assert "never applies pre-assigned rooms to a bot" in room["reason_text"]
        assert 'assign it to "Room 1"' in room["reason_text"]
        assert "Allow participants to choose room" in room["reason_text"]

        await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name=BOT, room="Room 1")
        await stack.wait_rooms(
            session["id"],
            lambda rooms: rooms[0]["status"] in ("in_room", "avatar_connecting", "live") and not rooms[0]["reason"],
            60,
            "the bot in its room",
        )
