"""Failure injection on the farm: vendor 5xx/429 bursts, a dropped avatar, the credit budget, full capacity."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from farm.vendors.liveavatar_client import LiveAvatarClient
from tests.farm.harness import AVATAR_ADA, LA_API_KEY, FarmStack, running_farm
from tests.support.http_clients import CLIENT_TIMEOUT

pytestmark = pytest.mark.browser


async def _fault(stack: FarmStack, fault: str, times: int, path: str = "/v1/sessions/token") -> None:
    response = await stack.la_admin.post(
        "/admin/faults", json={"method": "POST", "path": path, "fault": fault, "times": times}
    )
    assert response.status_code == 200, response.text


async def _calls(stack: FarmStack, path: str) -> list[dict[str, Any]]:
    response = await stack.la_admin.get("/admin/calls", params={"path": path})
    calls: list[dict[str, Any]] = response.json()["data"]
    return [c for c in calls if c["method"] == "POST"]


async def test_a_vendor_burst_of_500_and_429_is_retried_then_live(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        number = await stack.meeting(["Room 1"])
        await _fault(stack, "500", 2)
        await _fault(stack, "429", 1)
        created = await stack.start(number, ["Room 1"])
        await stack.wait_all_live(created["id"])
        calls = await _calls(stack, "/v1/sessions/token")
        assert [c["status"] for c in calls] == [500, 500, 429, 200]
        detail = (await stack.client.get(f"/api/sessions/{created['id']}/rooms/{created['rooms'][0]['id']}")).json()
        assert [b["attempt"] for b in detail["bots"]] == [1]


async def test_a_vendor_that_keeps_failing_spends_the_budget_then_says_why(tmp_path: Path) -> None:
    async with running_farm(tmp_path, retry_budget=1) as stack:
        number = await stack.meeting(["Room 1"])
        await _fault(stack, "500", 100)
        created = await stack.start(number, ["Room 1"])
        session = await stack.wait_rooms(
            created["id"], lambda rooms: rooms[0]["status"] == "failed", 90, "the room to fail"
        )
        room = session["rooms"][0]
        assert room["reason"] == "avatar_unavailable"
        assert room["reason_text"].startswith("Gave up after 2 attempts.")
        assert "avatar service could not start a session" in room["reason_text"]
        detail = (await stack.client.get(f"/api/sessions/{created['id']}/rooms/{room['id']}")).json()
        assert [b["attempt"] for b in detail["bots"]] == [1, 2]
        assert all(a["status"] == "failed" for a in detail["avatar_sessions"])
        assert await stack.vendor_active() == []


async def test_a_dropped_avatar_restarts_alone_while_the_meeting_connection_stays(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        number = await stack.meeting(["Room 1"])
        created = await stack.start(number, ["Room 1"])
        room_id = created["rooms"][0]["id"]
        await stack.wait_all_live(created["id"])
        [before] = await stack.bots_in_meeting(number)
        [vendor] = await stack.vendor_active()
        response = await stack.la_admin.post(f"/admin/sessions/{vendor}/stop", json={"reason": "SERVER_ERROR"})
        assert response.status_code == 200

        async def restarted() -> dict[str, Any]:
            for _ in range(120):
                detail = (await stack.client.get(f"/api/sessions/{created['id']}/rooms/{room_id}")).json()
                statuses = [a["status"] for a in detail["avatar_sessions"]]
                if statuses == ["stopped", "active"]:
                    return detail
                await asyncio.sleep(0.25)
            raise AssertionError(f"avatar not restarted: {statuses}")

        await restarted()
        await stack.wait_all_live(created["id"])
        detail = (await stack.client.get(f"/api/sessions/{created['id']}/rooms/{room_id}")).json()
        assert [b["attempt"] for b in detail["bots"]] == [1]
        # Between the drop and the new session the room said so, instead of looking live without an avatar.
        statuses = [
            (e.detail["status"], e.detail.get("reason"))
            for e in await stack.repository.events.all(room_id=room_id, limit=1000)
            if e.kind == "room.status"
        ]
        gap = statuses[statuses.index(("live", None)) + 1 :]
        assert gap[:2] == [("avatar_connecting", "avatar_dropped"), ("live", "avatar_dropped")], statuses
        assert "dropped" in detail["avatar_sessions"][0]["end_reason"]
        [after] = await stack.bots_in_meeting(number)
        assert after["user_id"] == before["user_id"]  # the meeting connection never dropped
        assert len(await stack.vendor_active()) == 1
        kinds = [e["kind"] for e in detail["events"]]
        assert "avatar.dropped" in kinds and "avatar.restarted" in kinds


async def test_the_credit_budget_stops_the_avatars_and_says_why(tmp_path: Path) -> None:
    async with running_farm(
        tmp_path,
        session_credit_budget=3.0,
        farm_options={"meter_interval": 0.5},
        liveavatar_config={"seconds_per_billing_minute": 1.0, "tick_interval_s": 0.1},
    ) as stack:
        number = await stack.meeting(["Room 1", "Room 2"])
        created = await stack.start(number, ["Room 1", "Room 2"])
        session = await stack.wait_rooms(
            created["id"], lambda rooms: all(r["status"] == "ended" for r in rooms), 90, "the budget to stop the rooms"
        )
        assert {r["reason"] for r in session["rooms"]} == {"budget_reached"}
        assert "credit budget" in session["rooms"][0]["reason_text"]
        assert session["summary"]["budget_left"] == 0
        assert await stack.vendor_active() == []
        kinds = [e.kind for e in await stack.repository.events.all(session_id=created["id"], limit=1000)]
        assert "session.budget_reached" in kinds

        # A restart would start a new billed avatar: it is refused in words, and nothing is launched.
        room_id = created["rooms"][0]["id"]
        restart = await stack.client.post(f"/api/sessions/{created['id']}/rooms/{room_id}/restart")
        assert restart.status_code == 409, restart.text
        assert "credit budget" in restart.json()["message"]
        assert stack.farm.running_rooms() == []
        assert (await stack.session(created["id"]))["rooms"][0]["status"] == "ended"


async def test_rooms_beyond_capacity_wait_in_order(tmp_path: Path) -> None:
    async with running_farm(tmp_path, max_bots=1) as stack:
        rooms = ["Room 1", "Room 2"]
        number = await stack.meeting(rooms)
        response = await stack.client.post(
            "/api/sessions",
            json={
                "meeting": {"number": number, "passcode": "pw123"},
                "professor": {"name": "Prof. Ada", "avatar_id": "3b8f0c1e-5a52-4f43-a0a4-6e6f1c2d9b10"},
                "course": {"name": "CS 101"},
                "rooms": [{"name": "Room 1", "student": {"name": "A"}}],
            },
        )
        first = response.json()
        second = await stack.start(number, ["Room 2"])
        await stack.wait_all_live(first["id"])
        queued = await stack.wait_rooms(
            second["id"], lambda r: r[0]["reason"] == "waiting_for_capacity", 20, "the second room to queue"
        )
        assert queued["rooms"][0]["status"] == "queued"
        assert "bot slots are busy" in queued["rooms"][0]["reason_text"]
        await stack.client.post(f"/api/sessions/{first['id']}/rooms/{first['rooms'][0]['id']}/leave")
        await stack.wait_all_live(second["id"])


async def test_the_reaper_leaves_sessions_it_did_not_start_alone(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        client = LiveAvatarClient(stack.liveavatar_url, LA_API_KEY, attempts=1)
        try:
            foreign = await client.session_token(avatar_id=AVATAR_ADA, context_id=None, quality="low")
            async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT, base_url=stack.liveavatar_url) as browser:
                started = await browser.post("/v1/sessions/start", headers={"Authorization": f"Bearer {foreign.token}"})
                assert started.status_code == 201, started.text
            assert foreign.session_id in await stack.vendor_active()
            await stack.farm.reap()
            assert foreign.session_id in await stack.vendor_active()
            events = await stack.repository.events.all(limit=1000)
            [note] = [e for e in events if e.kind == "farm.foreign_avatar_sessions"]
            assert note.detail["vendor_sessions"] == [foreign.session_id]
        finally:
            await client.aclose()


async def test_the_reaper_never_closes_a_session_being_minted(tmp_path: Path) -> None:
    """An avatar row is written before LiveAvatar is called; a reaper pass in between must not close it."""
    async with running_farm(tmp_path) as stack:
        number = await stack.meeting(["Room 1"])
        created = await stack.start(number, ["Room 1"])
        room_id = created["rooms"][0]["id"]
        await stack.wait_all_live(created["id"])
        row = await stack.repository.avatars.open(room_id, bot_id=None)  # what a mint in flight looks like
        stack.farm.services.owned_avatar_rows.add(row.id)
        await stack.farm.reap()
        assert row.id in {r.id for r in await stack.repository.avatars.unclosed()}
        stack.farm.services.owned_avatar_rows.discard(row.id)  # no bot owns it any more: now it is reaped
        await stack.farm.reap()
        assert row.id not in {r.id for r in await stack.repository.avatars.unclosed()}
        assert len(await stack.vendor_active()) == 1  # the live room's own session was never touched
