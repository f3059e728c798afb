"""Meetings of other Zoom accounts: the professor connects Zoom once, the farm joins on their behalf (OBF) only
while they are in a meeting (each refused join e-mails the host), waits for them when they drop out and
rejoins when they are back, and creates meetings when asked to."""

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
        assert "must connect their own Zoom on the dashboard's Zoom page" in room["reason_text"]
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
        events = await stack.repository.events.all(room_id=created["rooms"][0]["id"], limit=1000)
        recovering = [e for e in events if e.kind == "room.status" and e.detail.get("status") == "recovering"]
        assert recovering and recovering[0].detail["reason"] == "obf_required"
        # The professor's connection drops: Zoom removes the bot (4019); the room waits for them, in words, and
        # rejoins when they are back, instead of ending for good.
        response = await stack.zoom.admin.delete(f"/fake/meetings/{number}/participants/{professor}")
        assert response.status_code in (200, 204)
        session = await stack.wait_rooms(
            created["id"],
            lambda r: r[0]["status"] == "recovering" and r[0]["reason"] == "waiting_for_professor",
            30,
            "the room to wait for the professor",
        )
        assert "Waiting for the professor to be in the Zoom meeting" in session["rooms"][0]["reason_text"]
        events = await stack.repository.events.all(room_id=created["rooms"][0]["id"], limit=1000)
        left = [e for e in events if e.kind == "room.status" and e.detail.get("reason") == "authorizer_left"]
        assert left and left[0].detail["status"] == "recovering"
        assert await stack.vendor_active() == []  # no avatar billed while the bot is out
        await stack.zoom.add_virtual(number, name="Prof. Ada Lovelace", zoom_user_id=PROFESSOR)
        await stack.wait_all_live(created["id"])
        # It never tried while the professor was away, so Zoom e-mailed the host about nothing.
        assert (await stack.zoom.admin.get(f"/fake/meetings/{number}")).json()["host_emails"] == []


async def test_a_professor_in_another_meeting_costs_at_most_one_host_email_per_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    poll = 1.0
    monkeypatch.setattr("farm.room.room_runner.PRESENCE_POLL_SECONDS", poll)
    async with running_farm(tmp_path) as stack:
        await stack.connect_zoom(PROFESSOR)
        rooms = ["Room 1", "Room 2"]
        number = await stack.meeting(rooms, external_account=True)
        # The professor sits in another meeting: Zoom's presence says "in a meeting", but not this one.
        other = await stack.meeting(["Elsewhere"], external_account=True)
        elsewhere = await stack.zoom.add_virtual(other, name="Prof. Ada Lovelace", zoom_user_id=PROFESSOR)
        created = await stack.start(number, rooms)
        await stack.wait_rooms(
            created["id"],
            lambda r: all(room["reason"] == "waiting_for_professor" for room in r),
            90,
            "both rooms to wait for the professor",
        )

        async def emails() -> list[dict[str, object]]:
            meeting = (await stack.zoom.admin.get(f"/fake/meetings/{number}")).json()
            return list(meeting["host_emails"])

        # Each room was refused once (one e-mail each), then waits: three presence polls later, still two.
        await asyncio.sleep(3 * poll + 1)
        sent = await emails()
        assert len(sent) == len(rooms) and sorted(str(e["about"]) for e in sent) == sorted(
            f"Prof. Ada (AI) · {room}" for room in rooms
        )
        # The professor leaves the other meeting and joins this one: the rooms join on their behalf.
        await stack.zoom.admin.delete(f"/fake/meetings/{other}/participants/{elsewhere}")
        await asyncio.sleep(poll + 1)  # a presence poll sees them out of any meeting
        await stack.zoom.add_virtual(number, name="Prof. Ada Lovelace", zoom_user_id=PROFESSOR)
        await stack.wait_all_live(created["id"])
        assert len(await emails()) == len(rooms)


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
