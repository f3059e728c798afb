"""Meetings of other Zoom accounts: the professor connects Zoom once, the farm joins on their behalf (OBF),
leaves when they leave, and creates meetings when asked to."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fakes_zoom.harness import PROFESSOR
from tests.farm.harness import running_farm

pytestmark = pytest.mark.browser


async def test_without_a_zoom_connection_an_external_meeting_fails_with_words(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        number = await stack.meeting(["Room 1"], external_account=True)
        created = await stack.start(number, ["Room 1"])
        session = await stack.wait_rooms(created["id"], lambda r: r[0]["status"] == "failed", 60, "failure")
        room = session["rooms"][0]
        assert room["reason"] == "obf_required"
        assert "authorize avatarfarm" in room["reason_text"] or "connect Zoom" in room["reason_text"]
        assert (await stack.client.get("/api/zoom/grant")).json() == {
            "connected": False,
            "email": None,
            "user_id": None,
        }


async def test_obf_join_on_behalf_of_the_professor_and_leave_with_them(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        text = await stack.connect_zoom(PROFESSOR)
        assert "Zoom is connected" in text
        grant = (await stack.client.get("/api/zoom/grant")).json()
        assert grant["connected"] is True and grant["user_id"] == PROFESSOR
        assert "refresh" not in str(grant).lower()  # no token in the answer
        number = await stack.meeting(["Room 1"], external_account=True)
        professor = await stack.zoom.add_virtual(number, name="Prof. Ada Lovelace", zoom_user_id=PROFESSOR)
        created = await stack.start(number, ["Room 1"])
        await stack.wait_all_live(created["id"])
        events = await stack.repository.events(room_id=created["rooms"][0]["id"], limit=1000)
        recovering = [e for e in events if e.kind == "room.status" and e.detail.get("status") == "recovering"]
        assert recovering and recovering[0].detail["reason"] == "obf_required"
        response = await stack.zoom.admin.delete(f"/fake/meetings/{number}/participants/{professor}")
        assert response.status_code in (200, 204)
        session = await stack.wait_rooms(created["id"], lambda r: r[0]["status"] == "ended", 30, "the bot to leave")
        assert session["rooms"][0]["reason"] == "authorizer_left"
        assert await stack.vendor_active() == []


async def test_a_session_can_create_its_meeting(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        await stack.connect_zoom(PROFESSOR)
        response = await stack.client.post(
            "/api/sessions",
            json={
                "meeting": {"create": True, "topic": "CS 101 office hours"},
                "professor": {"name": "Prof. Ada", "avatar_id": "3b8f0c1e-5a52-4f43-a0a4-6e6f1c2d9b10"},
                "course": {"name": "CS 101"},
                "rooms": [{"name": "Room A", "student": {"name": "Grace"}}],
            },
        )
        assert response.status_code == 202, response.text
        session_id = response.json()["id"]
        for _ in range(100):
            session = await stack.session(session_id)
            if session["meeting"]["number"]:
                break
            await asyncio.sleep(0.1)
        number = session["meeting"]["number"]
        assert number and session["meeting"]["create"] is True
        meeting = (await stack.zoom.admin.get(f"/fake/meetings/{number}")).json()
        assert meeting["topic"] == "CS 101 office hours"
        assert [r["name"] for r in meeting["breakout"]["rooms"]] == ["Room A"]
        # The professor (whose account owns the meeting) hosts it and lets participants choose their room.
        await stack.zoom.add_virtual(number, name="Prof. Ada Lovelace", host=True, zoom_user_id=PROFESSOR)
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open", options={"isRoomSelectionEnabled": True})
        await stack.wait_all_live(session_id)
