"""The fake's LiveKit side seen from a LiveKit client (livekit's Python SDK, as a page's livekit-client would):
its own livekit-server (started on first use, keys for admins, gone with the fake), the room's participants,
and the faults: the avatar killed (and rejoining), participants joining late, a client token without publish."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from livekit import api, rtc

from fakes.liveavatar import create_app
from fakes.liveavatar.livekit_server import find_binary
from tests.fakes_liveavatar.client import Fake, FakeFactory, fake_config, wait_for
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.servers import serve_app

pytestmark = pytest.mark.skipif(find_binary() is None, reason="no livekit-server (make livekit)")

FFI_READY_TIMEOUT_S = 15  # livekit 1.2.1: a connect not followed by ReadyForRoomEventRequest panics after this


@asynccontextmanager
async def joined(started: dict[str, Any]) -> AsyncIterator[rtc.Room]:
    room = rtc.Room()
    await room.connect(started["livekit_url"], started["livekit_client_token"], rtc.RoomOptions(auto_subscribe=False))
    try:
        yield room
    finally:
        await room.disconnect()


def identities(room: rtc.Room) -> set[str]:
    return {participant.identity for participant in room.remote_participants.values()}


async def admin_session(fake: Fake, session_id: str) -> dict[str, Any]:
    sessions: list[dict[str, Any]] = (await fake.admin("GET", "/admin/sessions")).json()["data"]
    return next(session for session in sessions if session["id"] == session_id)


async def test_the_livekit_server_is_the_fakes_own_and_stops_with_it() -> None:
    app = create_app(fake_config())
    async with serve_app(app) as server, httpx.AsyncClient(timeout=CLIENT_TIMEOUT, base_url=server.base_url) as http:
        assert (await http.get("/admin/livekit")).status_code == 401
        headers = {"Authorization": f"Bearer {app.state.service.config.admin_token}"}
        answer = (await http.get("/admin/livekit", headers=headers)).json()["data"]
        assert set(answer) == {"url", "api_key", "api_secret"} and answer["url"].startswith("ws://127.0.0.1:")
        pid = app.state.service.rooms.livekit.pid
        assert pid is not None
        os.kill(pid, 0)  # running
        ready = await http.get(answer["url"].replace("ws://", "http://") + "/")
        assert ready.status_code == 200
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_the_room_has_the_avatar_and_the_agent_and_the_avatars_tracks(fake: Fake) -> None:
    started = await fake.started(video_settings={"quality": "low", "encoding": "VP8"})
    session_id = started["session_id"]
    async with joined(started) as room:
        await wait_for(lambda: _has(room, {"heygen", f"liveavatar-agent-{session_id}"}))
        avatar = next(p for p in room.remote_participants.values() if p.identity == "heygen")
        await wait_for(lambda: _count(len(avatar.track_publications), 2))
        kinds = sorted(publication.kind for publication in avatar.track_publications.values())
        assert kinds == sorted([rtc.TrackKind.KIND_AUDIO, rtc.TrackKind.KIND_VIDEO])
        video = next(p for p in avatar.track_publications.values() if p.kind == rtc.TrackKind.KIND_VIDEO)
        assert (video.width, video.height) == (640, 360) and video.mime_type == "video/VP8"
        agent = next(p for p in room.remote_participants.values() if p.identity.startswith("liveavatar-agent-"))
        assert not agent.track_publications  # the agent only talks data
        await wait_for(lambda: _client_in_room(fake, session_id, True))
    # The client left: reported at once, and the session goes on until the absence timeout (30 s by default).
    await wait_for(lambda: _client_in_room(fake, session_id, False))
    assert (await fake.session(session_id))["status"] == "ACTIVE"


async def test_the_avatar_killed_leaves_the_room_and_can_come_back(fake: Fake) -> None:
    started = await fake.started(video_settings={"quality": "low"})
    session_id = started["session_id"]
    left: list[str] = []
    async with joined(started) as room:
        room.on("participant_disconnected", lambda participant: left.append(participant.identity))
        # Who connected after the avatar left (on a loaded machine the news of leaving can come late, after the
        # rejoin has been scheduled: the order of the events is the evidence, not a look at the room).
        back: list[str] = []
        room.on("participant_connected", lambda p: back.append(p.identity) if "heygen" in left else None)
        await wait_for(lambda: _has(room, {"heygen"}))
        response = await fake.admin("POST", f"/admin/sessions/{session_id}/avatar/kill", json={"rejoin_after_s": 6})
        assert response.status_code == 200 and response.json()["data"]["avatar_joined"] is False
        # (LiveKit tells the others within 3 s: it batches news of participants that publish nothing.)
        await wait_for(lambda: _true("heygen" in left))
        assert (await fake.session(session_id))["status"] == "ACTIVE"  # only the avatar is gone
        await wait_for(lambda: _true("heygen" in back))
        avatar = next(p for p in room.remote_participants.values() if p.identity == "heygen")
        await wait_for(lambda: _count(len(avatar.track_publications), 2))
    missing = await fake.admin("POST", "/admin/sessions/not-a-session/avatar/kill", json={})
    assert missing.status_code == 404


async def test_participants_delayed_join_late(fake: Fake) -> None:
    armed = await fake.admin("POST", "/admin/livekit/faults", json={"fault": "delay_participants", "delay_s": 3})
    assert armed.json()["data"]["remaining"] == 1
    started = await fake.started(video_settings={"quality": "low"})
    session_id = started["session_id"]
    async with joined(started) as room:
        await asyncio.sleep(1.5)
        assert identities(room) == set(), "the participants came before their delay"
        await wait_for(lambda: _has(room, {"heygen", f"liveavatar-agent-{session_id}"}), within=15)
    faults = (await fake.admin("GET", "/admin/livekit/faults")).json()["data"]
    assert faults == [
        {"fault": "delay_participants", "remaining": 0, "delay_s": 3.0, "hits": 1, "sessions": [session_id]}
    ]
    # Only the armed number of sessions is affected.
    later = await fake.started(video_settings={"quality": "low"})
    async with joined(later) as room:
        await wait_for(lambda: _has(room, {"heygen"}), within=1.5)


async def test_a_client_token_without_publish_rights_cannot_publish_the_microphone(fake: Fake) -> None:
    await fake.admin("POST", "/admin/livekit/faults", json={"fault": "refuse_microphone"})
    refused = await fake.started()
    async with joined(refused) as room:
        source = rtc.AudioSource(48_000, 1)
        track = rtc.LocalAudioTrack.create_audio_track("microphone", source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        # The server never answers the publish (as for the SDK's microphone, whose voice chat stays STARTING).
        with pytest.raises(Exception, match=r"(?i)publication timed out|permission"):
            await asyncio.wait_for(room.local_participant.publish_track(track, options), 30)
        # Data still goes (the SDK's commands): the avatar answers a repeat.
        events: list[str] = []
        room.on("data_received", lambda packet: events.append(packet.data.decode()))
        command = b'{"event_id": "e1", "event_type": "avatar.speak_text", "text": "Hello"}'
        await room.local_participant.publish_data(command, reliable=True, topic="agent-control")
        await wait_for(lambda: _true(any("avatar.speak_started" in event for event in events)))
        await source.aclose()


async def test_a_client_gone_from_the_room_ends_the_session(make_fake: FakeFactory) -> None:
    fake = await make_fake(client_absence_timeout_s=1.0)
    started = await fake.started(video_settings={"quality": "low"})
    session_id = started["session_id"]
    async with joined(started):
        await wait_for(lambda: _client_in_room(fake, session_id, True))
        await asyncio.sleep(1.5)
        assert (await fake.session(session_id))["status"] == "ACTIVE"  # present: no absence
    await wait_for(lambda: _ended(fake, session_id))
    assert (await fake.session(session_id))["end_reason"] == "USER_DISCONNECTED"


async def _has(room: rtc.Room, wanted: set[str]) -> bool:
    return wanted <= identities(room)


async def _count(value: int, wanted: int) -> bool:
    return value == wanted


async def _true(value: bool) -> bool:
    return value


async def _client_in_room(fake: Fake, session_id: str, present: bool) -> bool:
    return bool((await admin_session(fake, session_id))["client_in_room"] is present)


async def _ended(fake: Fake, session_id: str) -> bool:
    return bool((await fake.session(session_id))["status"] == "ENDED")


async def test_a_room_closed_while_its_participants_connect_lets_them_finish_and_leave(fake: Fake) -> None:
    """A cancelled `room.connect()` makes livekit's FFI panic 15 s later, and the SDK answers a panic by SIGTERMing
    its own process (the fake, or a test worker): closing a room mid-join must let the connects finish and leave.
    SIGTERM is trapped here so that the failure is this test's, not a dead worker's."""
    terms: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: terms.append(signum))
    try:
        started = await fake.started()
        room = fake.service.rooms.get(started["session_id"])
        assert room is not None
        await wait_for(_true_when(lambda: room.agent_room is not None), within=10, interval=0.001)
        await room.shutdown(delete_room=False)  # the agent's connect is in flight now

        endpoint = await fake.service.rooms.endpoint()
        async with api.LiveKitAPI(endpoint.http_url, endpoint.api_key, endpoint.api_secret) as client:
            for _ in range(100):  # the server drops a participant a moment after it has left
                left = await client.room.list_participants(api.ListParticipantsRequest(room=room.name))
                if not left.participants:
                    break
                await asyncio.sleep(0.1)
        assert [participant.identity for participant in left.participants] == []
        await asyncio.sleep(FFI_READY_TIMEOUT_S + 1)
        assert terms == [], "livekit's FFI panicked: a connect was cancelled half-way"
    finally:
        signal.signal(signal.SIGTERM, previous)


def _true_when(condition: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return condition()

    return check
