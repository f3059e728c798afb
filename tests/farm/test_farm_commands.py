"""Controls over REST reach the right live bot: say, interrupt, new instructions, restart, leave; and the
bot's transcript and console reach the room's timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.farm.harness import FarmStack, running_farm
from tests.support.polling import until

pytestmark = pytest.mark.browser


async def _detail(stack: FarmStack, session_id: str, room_id: str) -> dict[str, Any]:
    response = await stack.client.get(f"/api/sessions/{session_id}/rooms/{room_id}")
    body: dict[str, Any] = response.json()
    return body


async def test_controls_reach_the_right_room(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        rooms = ["Room 1", "Room 2"]
        number = await stack.meeting(rooms)
        created = await stack.start(number, rooms)
        await stack.wait_all_live(created["id"])
        session_id = created["id"]
        room, other = created["rooms"]
        base = f"/api/sessions/{session_id}/rooms/{room['id']}"

        said = await stack.client.post(f"{base}/say", json={"text": "Let us look at the base case together."})
        assert said.status_code == 202, said.text

        async def spoke() -> bool:
            lines = (await _detail(stack, session_id, room["id"]))["transcript"]
            return any("base case together" in line["text"] and line["role"] == "avatar" for line in lines)

        await until(spoke, 20, "the avatar's words in the transcript")
        other_lines = (await _detail(stack, session_id, other["id"]))["transcript"]
        assert not any("base case together" in line["text"] for line in other_lines)
        assert (await stack.client.post(f"{base}/interrupt")).status_code == 202

        # New instructions: the LiveAvatar context is updated and the avatar restarts with it.
        context = await stack.client.put(f"{base}/context", json={"text": "Focus on recursion depth today."})
        assert context.status_code == 200

        async def refreshed() -> bool:
            statuses = [a["status"] for a in (await _detail(stack, session_id, room["id"]))["avatar_sessions"]]
            return statuses == ["stopped", "active"]

        await until(refreshed, 30, "a new avatar session with the new instructions")
        detail = await _detail(stack, session_id, room["id"])
        assert detail["avatar_sessions"][0]["end_reason"] == "context updated" and detail["status"] == "live"

        restart = await stack.client.post(f"{base}/restart")
        assert restart.status_code == 202

        async def relaunched() -> bool:
            d = await _detail(stack, session_id, room["id"])
            return len(d["bots"]) == 2 and d["status"] == "live"

        await until(relaunched, 60, "the restarted bot to be live")
        assert (await _detail(stack, session_id, room["id"]))["bots"][0]["end_reason"] == "restart_requested"

        leave = await stack.client.post(f"{base}/leave")
        assert leave.status_code == 202
        session = await stack.wait_rooms(session_id, lambda r: r[0]["status"] == "ended", 30, "the room to end")
        assert session["rooms"][0]["reason"] == "left" and session["rooms"][1]["status"] == "live"
        assert session["status"] == "active"
        bots = [p["room"]["name"] for p in await stack.bots_in_meeting(number)]
        assert bots == ["Room 2"]
