"""Races that could leave bots or avatars running for a class that is over: ending a session while its meeting is
still being created, a restart arriving after the end, a restart on a spent credit budget."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from farm.errors import SessionRefuses
from state.professors_repository import ADMIN_ID
from tests.fakes_zoom.harness import PROFESSOR
from tests.farm.harness import AVATAR_ADA, running_farm

pytestmark = pytest.mark.browser

CREATE_BODY = {
    "meeting": {"create": True, "topic": "CS 101 office hours"},
    "professor": {"name": "Prof. Ada", "avatar_id": AVATAR_ADA},
    "course": {"name": "CS 101"},
    "rooms": [{"name": "Room A", "student": {"name": "Grace"}}, {"name": "Room B", "student": {"name": "Alan"}}],
}


async def test_ending_a_session_while_its_meeting_is_being_created_starts_no_bot(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        await stack.connect_zoom(PROFESSOR)
        slow = await stack.zoom.admin.post("/fake/faults/slow-meeting-creation", json={"seconds": 2})
        assert slow.status_code == 204, slow.text
        creating = asyncio.create_task(stack.client.post("/api/sessions", json=CREATE_BODY))
        session_id = None
        for _ in range(200):
            listed = (await stack.client.get("/api/sessions")).json()["sessions"]
            if listed:
                session_id = listed[0]["id"]
                break
            await asyncio.sleep(0.01)
        assert session_id is not None and not creating.done(), "the meeting was created before the test could end it"
        ended = await stack.client.delete(f"/api/sessions/{session_id}")
        assert ended.status_code == 202, ended.text

        response = await creating
        assert response.status_code == 202, response.text
        assert stack.farm.running_rooms() == []  # no runner was started for the ended session
        session = await stack.wait_rooms(
            session_id, lambda rooms: all(r["status"] == "ended" for r in rooms), 30, "the rooms to end"
        )
        assert session["status"] == "ended"
        for room in session["rooms"]:
            detail = (await stack.client.get(f"/api/sessions/{session_id}/rooms/{room['id']}")).json()
            assert detail["bots"] == [] and detail["avatar_sessions"] == []
        assert await stack.vendor_active() == []


async def test_a_restart_arriving_after_the_session_ended_brings_no_room_back(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        number = await stack.meeting(["Room 1"])
        created = await stack.start(number, ["Room 1"])
        room_id = created["rooms"][0]["id"]
        await stack.wait_all_live(created["id"])
        assert (await stack.client.delete(f"/api/sessions/{created['id']}")).status_code == 202
        await stack.wait_rooms(created["id"], lambda rooms: rooms[0]["status"] == "ended", 30, "the room to end")
        for _ in range(100):
            if not stack.farm.running_rooms():
                break
            await asyncio.sleep(0.05)

        # The API refused it already, but a restart that passed its check just before the end reaches the farm:
        with pytest.raises(SessionRefuses):
            await stack.farm.restart_room(room_id)
        assert stack.farm.running_rooms() == []
        session = await stack.session(created["id"])
        assert session["status"] == "ended" and session["rooms"][0]["status"] == "ended"
        assert await stack.bots_in_meeting(number) == []
        assert await stack.vendor_active() == []


async def test_a_meeting_that_cannot_be_created_ends_the_session_in_words(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        # Never connected: refused at once, in words, and nothing is stored.
        refused = await stack.client.post("/api/sessions", json=CREATE_BODY)
        assert refused.status_code == 409 and "have not connected it yet" in refused.json()["message"]
        assert (await stack.client.get("/api/sessions")).json()["sessions"] == []
        # Connected, but the grant no longer works at Zoom (say, revoked there): the farm finds out when it tries.
        await stack.repository.zoom_grants.save(
            professor_id=ADMIN_ID,
            user_id=PROFESSOR,
            email=None,
            refresh_token="revoked-at-zoom",
            access_token=None,
            access_expires_at=None,
        )
        response = await stack.client.post("/api/sessions", json=CREATE_BODY)
        assert response.status_code == 202, response.text
        session = await stack.session(response.json()["id"])
        assert session["status"] == "ended"
        assert {room["status"] for room in session["rooms"]} == {"failed"}
        words = session["rooms"][0]["reason_text"]
        assert words.startswith("The Zoom meeting could not be created") and "connect Zoom again" in words
        assert "Traceback" not in words and "{" not in words
        assert stack.farm.running_rooms() == []
