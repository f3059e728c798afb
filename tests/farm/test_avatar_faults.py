"""What the product does when LiveAvatar's media plane misbehaves, with the real SDK in the bot page and the fake
LiveAvatar's LiveKit room misbehaving on purpose: republished tracks, a vanished avatar participant, avatar
participants that come too late, and a microphone the room refuses."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.farm.harness import FarmStack, running_farm
from tests.support.polling import until

pytestmark = pytest.mark.browser

BOT = "Prof. Ada (AI) · Room 1"


async def _live_room(stack: FarmStack) -> tuple[str, str, str]:
    number = await stack.meeting(["Room 1"])
    created = await stack.start(number, ["Room 1"])
    await stack.wait_all_live(created["id"])
    return number, created["id"], created["rooms"][0]["id"]


async def _avatar_sessions(stack: FarmStack, sid: str, room_id: str) -> list[dict[str, Any]]:
    detail = (await stack.client.get(f"/api/sessions/{sid}/rooms/{room_id}")).json()
    sessions: list[dict[str, Any]] = detail["avatar_sessions"]
    return sessions


async def _frames(stack: FarmStack, room_id: str) -> int:
    runner = stack.farm._runners[room_id]
    assert runner.browser is not None
    stats = await runner.browser.evaluate("() => window.__avatarfarmBridge.stats()")
    return int(stats["avatar_frames"])


async def test_republished_avatar_tracks_keep_the_picture_without_a_restart(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        _, sid, room_id = await _live_room(stack)
        [first] = await _avatar_sessions(stack, sid, room_id)
        response = await stack.la_admin.post(
            f"/admin/sessions/{first['vendor_session_id']}/avatar/republish", json={"after_s": 1}
        )
        assert response.status_code == 200, response.text
        await asyncio.sleep(4)  # unpublished, then new tracks: the page attaches them on stream_ready
        before = await _frames(stack, room_id)

        async def drawing() -> bool:
            return await _frames(stack, room_id) > before + 20

        await until(drawing, 20, "the compositor to draw the republished avatar")
        assert [s["status"] for s in await _avatar_sessions(stack, sid, room_id)] == ["active"]
        assert (await stack.session(sid))["rooms"][0]["status"] == "live"


async def test_a_vanished_avatar_is_restarted_and_the_meeting_is_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("farm.room.avatar_sessions.STALL_RESTART_SECONDS", 2.0)
    async with running_farm(tmp_path) as stack:
        number, sid, room_id = await _live_room(stack)
        zoom_user = (await stack.zoom.person(number, BOT))["user_id"]
        [first] = await _avatar_sessions(stack, sid, room_id)
        response = await stack.la_admin.post(f"/admin/sessions/{first['vendor_session_id']}/avatar/kill", json={})
        assert response.status_code == 200, response.text

        async def restarted() -> bool:
            sessions = await _avatar_sessions(stack, sid, room_id)
            # The frozen one is closed once its successor is seen.
            return [s["status"] for s in sessions] == ["stopped", "active"]

        await until(restarted, 60, "a new avatar session in place of the frozen one")
        assert (await stack.zoom.person(number, BOT))["user_id"] == zoom_user  # the same meeting connection
        detail = (await stack.client.get(f"/api/sessions/{sid}/rooms/{room_id}")).json()
        assert [b["attempt"] for b in detail["bots"]] == [1]
        assert len(await stack.vendor_active()) == 1


async def test_avatar_participants_too_late_the_farm_stops_the_vendor_session_and_tries_again(
    tmp_path: Path,
) -> None:
    async with running_farm(tmp_path) as stack:
        response = await stack.la_admin.post(
            "/admin/livekit/faults", json={"fault": "delay_participants", "delay_s": 40, "times": 1}
        )
        assert response.status_code == 200, response.text
        number = await stack.meeting(["Room 1"])
        created = await stack.start(number, ["Room 1"])
        sid, room_id = created["id"], created["rooms"][0]["id"]

        async def first_closed() -> bool:
            sessions = await _avatar_sessions(stack, sid, room_id)
            return bool(sessions) and sessions[0]["status"] in ("stopped", "failed")

        await until(first_closed, 90, "the first avatar session to be given up")
        first = (await _avatar_sessions(stack, sid, room_id))[0]
        # Stopped at the vendor by the farm (the SDK's stop does nothing while it connects): not billing.
        vendor = (await stack.la_admin.get("/admin/sessions")).json()["data"]
        mine = next(s for s in vendor if s.get("id") == first["vendor_session_id"])
        assert mine.get("end_reason") == "USER_CLOSED", mine
        await stack.wait_all_live(sid, within=90)
        assert len(await _avatar_sessions(stack, sid, room_id)) == 2
        events = [e.kind for e in await stack.repository.events.all(room_id=room_id, limit=1000)]
        assert "avatar.start_failed" in events


async def test_a_refused_microphone_is_a_deaf_avatar_said_in_words_and_restarted_once(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        response = await stack.la_admin.post("/admin/livekit/faults", json={"fault": "refuse_microphone", "times": 1})
        assert response.status_code == 200, response.text
        number = await stack.meeting(["Room 1"])
        created = await stack.start(number, ["Room 1"])
        sid, room_id = created["id"], created["rooms"][0]["id"]

        async def deaf_reported() -> bool:
            events = [e.kind for e in await stack.repository.events.all(room_id=room_id, limit=1000)]
            return "avatar.deaf" in events

        await until(deaf_reported, 120, "the deaf avatar to be reported")

        async def restarted_live() -> bool:
            sessions = await _avatar_sessions(stack, sid, room_id)
            room = (await stack.session(sid))["rooms"][0]
            return len(sessions) == 2 and sessions[-1]["status"] == "active" and room["status"] == "live"

        await until(restarted_live, 90, "one restart, live again")
        room = (await stack.session(sid))["rooms"][0]
        assert room["reason"] == "avatar_deaf" and "could not hear" in room["reason_text"]
        await asyncio.sleep(10)
        assert len(await _avatar_sessions(stack, sid, room_id)) == 2  # once, not a loop
