"""Room commands: say, interrupt, restart, context; they reach the farm only when they can act."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from farm.errors import FarmError, RoomNotReady
from farm.room.page_messages import Heartbeat, MediaStats, parse_report
from state.models import RoomStatus, TranscriptRole
from tests.api.conftest import Api


async def _room(api: Api, rooms: int = 2) -> tuple[dict[str, Any], dict[str, Any], str]:
    session = await api.create_session(rooms=rooms)
    room = session["rooms"][0]
    return session, room, f"/api/sessions/{session['id']}/rooms/{room['id']}"


async def test_say_reaches_the_farm_when_the_room_is_live(api: Api) -> None:
    _, room, base = await _room(api)
    refused = await api.client.post(f"{base}/say", json={"text": "Hello"})
    assert refused.status_code == 409
    assert "no live avatar yet (its status is queued)" in refused.json()["message"]
    assert "say" not in api.farm.names()
    await api.make_live(room["id"])
    response = await api.client.post(f"{base}/say", json={"text": "  What is a base case?  "})
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["command"] == "say" and accepted["room_id"] == room["id"]
    assert ("say", (room["id"], "What is a base case?")) in api.farm.calls
    event = (await api.repository.events.all(after_id=accepted["event_id"] - 1, room_id=room["id"]))[0]
    assert (event.kind, event.detail) == ("room.command", {"command": "say", "text": "What is a base case?"})


async def test_say_text_limits(api: Api) -> None:
    _, room, base = await _room(api)
    await api.make_live(room["id"])
    too_long = await api.client.post(f"{base}/say", json={"text": "x" * 1001})
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0] == {
        "field": "text",
        "message": "Must be at most 1000 characters (this one has 1001).",
    }
    assert (await api.client.post(f"{base}/say", json={"text": "   "})).status_code == 422
    assert (await api.client.post(f"{base}/say", json={"text": "x", "voice": "y"})).status_code == 422
    assert (await api.client.post(f"{base}/say", json={"text": "x" * 1000})).status_code == 202
    assert api.farm.names().count("say") == 1


async def test_interrupt_and_restart(api: Api) -> None:
    _, room, base = await _room(api)
    assert (await api.client.post(f"{base}/interrupt")).status_code == 409
    await api.make_live(room["id"])
    assert (await api.client.post(f"{base}/interrupt")).status_code == 202
    assert ("interrupt", (room["id"],)) in api.farm.calls
    await api.repository.sessions.set_room_status(room["id"], RoomStatus.failed, reason="kicked")
    restart = await api.client.post(f"{base}/restart")
    assert restart.status_code == 202 and restart.json()["command"] == "restart"
    assert ("restart_room", (room["id"],)) in api.farm.calls


async def test_farm_refusals_become_409_or_503(api: Api) -> None:
    _, room, base = await _room(api)
    await api.make_live(room["id"])
    api.farm.fail_with = RoomNotReady("The avatar is reconnecting; try again in a few seconds.")
    response = await api.client.post(f"{base}/say", json={"text": "hi"})
    assert response.status_code == 409
    assert response.json()["message"] == "The avatar is reconnecting; try again in a few seconds."
    api.farm.fail_with = FarmError("No browser node is reachable.")
    response = await api.client.post(f"{base}/interrupt")
    assert response.status_code == 503 and response.json()["error"] == "farm_unavailable"
    commands = [e for e in await api.repository.events.recent(room_id=room["id"]) if e.kind == "room.command"]
    assert commands == []


async def test_context_is_stored_and_applied_live(api: Api) -> None:
    _, room, base = await _room(api)
    response = await api.client.put(f"{base}/context", json={"text": "Focus on base cases."})
    assert response.status_code == 200
    assert response.json()["context_text"] == "Focus on base cases."
    assert response.json()["context_updated"] is True
    assert "update_context" not in api.farm.names()
    await api.make_live(room["id"])
    await api.client.put(f"{base}/context", json={"text": "Now recursion depth."})
    assert ("update_context", (room["id"], "Now recursion depth.")) in api.farm.calls
    api.farm.fail_with = FarmError("No browser node is reachable.")
    refused = await api.client.put(f"{base}/context", json={"text": "Not stored."})
    assert refused.status_code == 503
    detail = (await api.client.get(base)).json()
    assert detail["context_text"] == "Now recursion depth."
    assert (await api.client.put(f"{base}/context", json={"text": "x" * 20_001})).status_code == 422


async def test_commands_on_an_ended_session_are_409(api: Api) -> None:
    session, room, base = await _room(api)
    await api.make_live(room["id"])
    await api.client.delete(f"/api/sessions/{session['id']}")
    before = len(api.farm.calls)
    for method, path, body in (
        ("POST", "say", {"text": "hi"}),
        ("POST", "interrupt", None),
        ("POST", "restart", None),
        ("PUT", "context", {"text": "x"}),
    ):
        response = await api.client.request(method, f"{base}/{path}", json=body)
        assert response.status_code == 409, path
        assert "has ended" in response.json()["message"]
    assert len(api.farm.calls) == before


async def test_commands_on_an_unknown_room_are_404(api: Api) -> None:
    session, _, _ = await _room(api)
    response = await api.client.post(f"/api/sessions/{session['id']}/rooms/room_nope/say", json={"text": "hi"})
    assert response.status_code == 404
    other = await api.create_session(rooms=1)
    foreign = f"/api/sessions/{session['id']}/rooms/{other['rooms'][0]['id']}"
    assert (await api.client.get(foreign)).status_code == 404


async def test_room_detail_has_attempts_avatar_sessions_transcript_and_timeline(api: Api) -> None:
    _, room, base = await _room(api)
    repo = api.repository
    bot = await repo.bots.start(room["id"], node="local")
    avatar = await repo.avatars.open(room["id"], bot_id=bot.id)
    await repo.avatars.started(avatar.id, vendor_session_id="vendor-42")
    await repo.avatars.record_usage(avatar.id, minutes=1.25, credits=4)
    await repo.sessions.set_room_status(room["id"], RoomStatus.starting)  # a bot first: the table
    await repo.sessions.set_room_status(room["id"], RoomStatus.live)
    await repo.transcripts.add(room["id"], speaker="Student 1", role=TranscriptRole.student, text="Why recursion?")
    detail = (await api.client.get(base)).json()
    assert detail["status"] == "live" and detail["avatar_live"] is True and detail["live_since"]
    assert [b["attempt"] for b in detail["bots"]] == [1]
    assert detail["avatar_sessions"][0]["vendor_session_id"] == "vendor-42"
    usage = detail["usage"]
    assert (usage["minutes"], usage["credits"]) == (1.25, 4.0)
    # The bot's minutes in the meeting, and what an avatar for every one of them would have cost (2 a minute).
    # Both figures are rounded to 3 places from the same unrounded minutes: they agree within one rounding step.
    assert usage["eager_credits"] == pytest.approx(usage["meeting_minutes"] * 2, abs=0.0015)
    assert usage["credits_saved"] == round(max(0.0, usage["eager_credits"] - usage["credits"]), 3)
    assert detail["transcript"][0]["text"] == "Why recursion?"
    kinds = [e["kind"] for e in detail["events"]]
    assert kinds == [
        "room.status",
        "bot.started",
        "avatar.requested",
        "avatar.started",
        "room.status",
        "room.status",
        "transcript",
    ]
    session = (await api.client.get(f"/api/sessions/{detail['session_id']}")).json()
    assert session["summary"]["rooms_live"] == 1 and session["summary"]["avatars_live"] == 1
    assert session["summary"]["credits"] == 4.0


JPEG = "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0fake-jpeg-bytes").decode()


async def test_leave_one_room_while_the_session_goes_on(api: Api) -> None:
    session, room, base = await _room(api, rooms=2)
    response = await api.client.post(f"{base}/leave")
    assert response.status_code == 202 and response.json()["command"] == "leave"
    assert ("leave_room", (room["id"],)) in api.farm.calls
    fetched = (await api.client.get(f"/api/sessions/{session['id']}")).json()
    assert fetched["status"] == "active"
    assert [r["status"] for r in fetched["rooms"]] == ["ended", "queued"]
    again = await api.client.post(f"{base}/leave")
    assert again.status_code == 409 and "already ended" in again.json()["message"]


async def test_live_media_and_thumbnail_from_heartbeats(api: Api) -> None:
    session, room, base = await _room(api)
    assert (await api.client.get(f"{base}/thumbnail")).status_code == 404
    assert (await api.client.get(base)).json()["media"] is None
    stats = {
        "compositor": {"fps": 25, "width": 640, "height": 360},
        "outbound_video": {"fps": 24.5, "width": 640, "height": 360, "framesSent": 900},
        "level_out": 0.12,
        "level_in": 0.03,
        "avatar_ready": True,
        "avatar_talking": True,
        "humans_in_room": 2,
    }
    api.farm.media.record(room["id"], MediaStats.model_validate(stats), JPEG, now=1_800_000_000.0)
    media = (await api.client.get(base)).json()["media"]
    assert media["outbound_fps"] == 24.5 and media["width"] == 640 and media["people_in_room"] == 2
    assert media["avatar_talking"] is True and media["level_out"] == 0.12
    assert media["thumbnail_url"] == f"{base}/thumbnail?t=1800000000000"
    image = await api.client.get(media["thumbnail_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content.startswith(b"\xff\xd8")
    listed = (await api.client.get(f"/api/sessions/{session['id']}")).json()["rooms"][0]["media"]
    assert listed["outbound_fps"] == 24.5
    # A heartbeat without a thumbnail keeps the last one; a broken one is ignored.
    api.farm.media.record(
        room["id"], MediaStats.model_validate(stats), "data:image/jpeg;base64,!!!", now=1_800_000_002.0
    )
    assert (await api.client.get(base)).json()["media"]["thumbnail_url"].endswith("t=1800000000000")


async def test_a_heartbeat_with_fields_missing_or_null_is_read_not_refused(api: Api) -> None:
    _, room, base = await _room(api)
    # As a page sends it before its peer connection has stats: no outbound video, a null speech age, no levels.
    beat = parse_report(
        {
            "type": "heartbeat",
            "state": "live",
            "stats": {
                "compositor": {"fps": 25, "width": 640, "height": None, "frames": 3},
                "outbound_video": None,
                "avatar_ready": None,
                "humans_in_room": 1,
                "speech_age_s": None,
                "audio_context": "running",
            },
        }
    )
    assert isinstance(beat, Heartbeat)
    api.farm.media.record(room["id"], beat.stats, None, now=1_800_000_000.0)
    media = (await api.client.get(base)).json()["media"]
    assert media["outbound_fps"] == 25 and media["width"] == 640 and media["height"] == 0
    assert media["avatar_ready"] is False and media["level_in"] == 0 and media["people_in_room"] == 1
