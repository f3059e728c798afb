"""The avatar's side of a live session, seen by a LiveKit client in the session's room (room_client.py, as the web
SDK's page is one): speaking, queueing, interrupting, replying, listening to the client's microphone, barge-in,
push-to-talk, transcripts, LITE mode's socket, and how the session's end reaches the page."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from fakes.liveavatar.livekit_server import find_binary
from tests.fakes_liveavatar.audio import speech_pcm_16k
from tests.fakes_liveavatar.client import Fake, wait_for
from tests.fakes_liveavatar.room_client import LOUD_RMS, RoomClient, room_client

pytestmark = pytest.mark.skipif(find_binary() is None, reason="no livekit-server (make livekit)")

TUTOR_PROMPT = (
    "You are Professor Ada, a Socratic tutor for calculus. We study derivatives, the power rule, "
    "the derivative of x squared, the slope of the tangent line, and limits. Never give the answer."
)
LOW = {"quality": "low"}


async def speech_seconds(fake: Fake, session_id: str, text: str) -> float:
    """How long the avatar's espeak-ng rendering of `text` lasts (the service's own synthesiser and voice)."""
    session = fake.service.registry.get(session_id)
    assert session is not None
    speech = await fake.service.synthesizer.synthesize(
        text, voice=session.voice.espeak_voice, speed=session.voice_speed
    )
    return speech.duration_s


async def loud_seconds(fake: Fake, session_id: str, text: str) -> float:
    """Seconds of the avatar's rendering of `text` louder than the room client's LOUD_RMS, per 10 ms frame: what
    the client would hear of it played whole."""
    session = fake.service.registry.get(session_id)
    assert session is not None
    speech = await fake.service.synthesizer.synthesize(
        text, voice=session.voice.espeak_voice, speed=session.voice_speed
    )
    samples = np.frombuffer(speech.pcm, dtype=np.int16).astype(np.float64) / 32768
    frame = speech.sample_rate // 100
    frames = samples[: len(samples) // frame * frame].reshape(-1, frame)
    return float(np.count_nonzero(np.sqrt((frames**2).mean(axis=1)) > LOUD_RMS)) * 0.01


@asynccontextmanager
async def in_room(fake: Fake, started: dict[str, Any]) -> AsyncIterator[RoomClient]:
    """Join the session's room and wait until its agent knows the client is there.

    (LiveKit announces a client that publishes nothing within 3 s; the agent holds commands up to 4 s for it, and
    on a loaded machine the announcement can come later, so the tests wait for it rather than race it.)"""
    async with room_client(started) as client:

        async def seen() -> bool:
            room = fake.service.rooms.get(started["session_id"])
            agent = fake.service.agents.get(started["session_id"])
            return room is not None and room.client_present and agent is not None and agent.channel is not None

        await wait_for(seen)
        yield client


async def microphone_open(fake: Fake, client: RoomClient, session_id: str) -> None:
    """Publish the client's microphone and wait until the agent listens to it."""
    await client.open_microphone()

    async def subscribed() -> bool:
        room = fake.service.rooms.get(session_id)
        return room is not None and room.mic_subscribed

    await wait_for(subscribed)


async def test_repeat_speaks_the_text_with_events_in_order_and_real_audio(fake: Fake) -> None:
    live = await fake.started(video_settings=LOW)
    session_id = live["session_id"]
    async with in_room(fake, live) as client:
        text = "Welcome to the calculus study group."
        event_id = await client.command("avatar.speak_text", text=text)
        await client.wait_event("avatar.speak_ended")
        kinds = [event["event_type"] for event in client.events()]
        assert kinds == ["avatar.transcription", "avatar.speak_started", "avatar.speak_ended"]
        for event in client.events():
            assert event["source_event_id"] == event_id and event["session_id"] == session_id
            assert event["event_id"] and event["event_id"] != event_id
        assert client.events("avatar.transcription")[0]["text"] == text
        seconds = await speech_seconds(fake, session_id, text)
        assert 1.0 < seconds < 6.0
        (started_at, _), (ended_at, _) = client.timed("avatar.speak_started")[0], client.timed("avatar.speak_ended")[0]
        assert ended_at - started_at >= 0.8 * seconds  # speak_ended comes when the audio has played
        # The speech is on the avatar's audio track (arriving slightly after speak_started, over the network).
        assert client.loud_between(started_at, ended_at + 1.0) >= 0.5 * seconds
        agent = fake.service.agents.get(session_id)
        assert agent is not None and agent.state == "idle"
    transcript = (await fake.api("GET", f"/v1/sessions/{session_id}/transcript")).json()["data"]
    assert [(entry["role"], entry["transcript"]) for entry in transcript["transcript_data"]] == [("avatar", text)]
    assert transcript["session_active"] is True


async def test_commands_queue_and_interrupt_drops_the_rest(fake: Fake) -> None:
    live = await fake.started(video_settings=LOW)
    async with in_room(fake, live) as client:
        long_text = "This is a long explanation that keeps going on and on about tangent lines and their slopes."
        first = await client.command("avatar.speak_text", text=long_text)
        second = await client.command("avatar.speak_text", text="And this sentence waits in the queue.")
        await client.wait_event("avatar.speak_started")
        await asyncio.sleep(0.5)
        await client.command("avatar.interrupt")
        await client.wait_event("avatar.speak_ended")
        ended_at, ended = client.timed("avatar.speak_ended")[0]
        started_at = client.timed("avatar.speak_started")[0][0]
        assert ended["source_event_id"] == first
        assert await speech_seconds(fake, live["session_id"], long_text) > 4.0
        await asyncio.sleep(2.5)
        # The interrupted utterance ended early: the client heard less than half of it (whenever the events came),
        # its buffered audio was dropped, and the queued one never started.
        whole = await loud_seconds(fake, live["session_id"], long_text)
        heard = client.loud_between(started_at, ended_at + 2.5)
        assert heard < 0.5 * whole
        # Nothing of it after the interrupt reached the avatar: the client heard at most what went out before (the
        # fake's own clock, so a loaded machine's late audio does not count). Without the drop, what was buffered
        # plays on: about 0.6 s more (the speech is sent that far ahead of real time).
        room = fake.service.rooms.get(live["session_id"])
        assert room is not None and room.speech_out_at is not None and room.speech_stopped_at is not None
        assert heard < room.speech_stopped_at - room.speech_out_at + 0.3
        assert [event["source_event_id"] for event in client.events("avatar.speak_started")] == [first]
        assert second in [event["source_event_id"] for event in client.events("avatar.transcription")]

        third = await client.command("avatar.speak_text", text="Short one.")
        fourth = await client.command("avatar.speak_text", text="Then this one.")
        await client.wait_event("avatar.speak_ended", count=3)
        starts = [event["source_event_id"] for event in client.events("avatar.speak_started")]
        assert starts == [first, third, fourth]
        later_starts = [at for at, event in client.timed("avatar.speak_started") if event["source_event_id"] == fourth]
        third_end = [at for at, event in client.timed("avatar.speak_ended") if event["source_event_id"] == third]
        assert later_starts[0] >= third_end[0]


async def test_message_gets_a_socratic_reply_from_the_context(fake: Fake) -> None:
    context_id = await fake.create_context(prompt=TUTOR_PROMPT)
    live = await fake.started(avatar_persona={"context_id": context_id}, video_settings=LOW)
    async with in_room(fake, live) as client:
        event_id = await client.command("avatar.speak_response", text="What is the derivative of x squared?")
        (reply,) = await client.wait_event("avatar.transcription")
        assert reply["source_event_id"] == event_id
        assert reply["text"].rstrip().endswith("?") and "derivative" in reply["text"].lower()
        assert "2x" not in reply["text"] and "two x" not in reply["text"].lower()
        await client.command("avatar.interrupt")
        demand = await client.command("avatar.speak_response", text="Just tell me the answer.")
        replies = await client.wait_event("avatar.transcription", count=2)
        assert replies[1]["source_event_id"] == demand and "hint" in replies[1]["text"].lower()


async def test_without_a_context_the_avatar_is_in_restricted_mode(fake: Fake) -> None:
    live = await fake.started(video_settings=LOW)
    async with in_room(fake, live) as client:
        await client.command("avatar.speak_response", text="What is the derivative of x squared?")
        await client.command("avatar.speak_text", text="Noted.")  # commands run in order: this one comes after
        await client.wait_event("avatar.speak_ended")
        assert [event["text"] for event in client.events("avatar.transcription")] == ["Noted."]


async def test_the_opening_text_is_spoken_when_the_client_joins(fake: Fake) -> None:
    context_id = await fake.create_context(prompt=TUTOR_PROMPT, opening_text="Hello room ${room}, I am Ada.")
    live = await fake.started(
        avatar_persona={"context_id": context_id}, dynamic_variables={"room": "three"}, video_settings=LOW
    )
    await asyncio.sleep(1.0)
    agent = fake.service.agents.get(live["session_id"])
    assert agent is not None and agent.session.transcript == []  # nobody in the room yet: nothing said
    async with in_room(fake, live) as client:
        (greeting,) = await client.wait_event("avatar.transcription")
        assert greeting["text"] == "Hello room three, I am Ada." and greeting["source_event_id"] is None
        await client.wait_event("avatar.speak_ended")


async def test_the_clients_microphone_is_transcribed_with_context_hints_and_answered(
    fake: Fake, tmp_path: Path
) -> None:
    context_id = await fake.create_context(name="Calculus", prompt=TUTOR_PROMPT)
    live = await fake.started(avatar_persona={"context_id": context_id}, video_settings=LOW)
    pcm = speech_pcm_16k("What is the derivative of x squared?", tmp_path)
    async with in_room(fake, live) as client:
        await microphone_open(fake, client, live["session_id"])
        await client.speak(pcm)
        (heard,) = await client.wait_event("user.transcription", within=30)
        kinds = [event["event_type"] for event in client.events()]
        assert kinds[:3] == ["user.speak_started", "user.speak_ended", "user.transcription"]
        assert "derivative" in heard["text"] and "squared" in heard["text"], heard["text"]
        (reply,) = await client.wait_event("avatar.transcription")
        assert reply["text"].endswith("?")
    transcript = (await fake.api("GET", f"/v1/sessions/{live['session_id']}/transcript")).json()["data"]
    roles = [entry["role"] for entry in transcript["transcript_data"]]
    assert roles == ["user", "avatar"]
    assert transcript["transcript_data"][0]["transcript"] == heard["text"]


async def test_the_user_speaking_interrupts_the_avatar(fake: Fake, tmp_path: Path) -> None:
    live = await fake.started(video_settings=LOW)
    pcm = speech_pcm_16k("Wait, I have a question.", tmp_path)
    async with in_room(fake, live) as client:
        await microphone_open(fake, client, live["session_id"])
        long_text = "A long story about limits and slopes that goes on for a while, and then for a while longer."
        await client.command("avatar.speak_text", text=long_text)
        await client.wait_event("avatar.speak_started")
        await asyncio.sleep(0.5)
        speaking = asyncio.create_task(client.speak(pcm))
        await client.wait_event("user.speak_started", within=10)
        await client.wait_event("avatar.speak_ended", within=5)
        barge_in_at = client.timed("user.speak_started")[0][0]
        started_at = client.timed("avatar.speak_started")[0][0]
        assert client.timed("avatar.speak_ended")[0][0] - started_at < await speech_seconds(
            fake, live["session_id"], long_text
        )
        assert client.timed("avatar.speak_ended")[0][0] >= barge_in_at
        await speaking


async def test_listening_state_and_push_to_talk(fake: Fake, tmp_path: Path) -> None:
    conversational = await fake.started(video_settings=LOW)
    agent = fake.service.agents.get(conversational["session_id"])
    assert agent is not None
    async with in_room(fake, conversational) as client:
        await client.command("avatar.start_listening")
        await wait_for(lambda: _is(agent.state, "listening"))
        await client.command("avatar.stop_listening")
        await wait_for(lambda: _is(agent.state, "idle"))
        await client.command("user.start_push_to_talk")
        await client.wait_event("user.push_to_talk_start_failed")

    push_to_talk = await fake.started(interactivity_type="PUSH_TO_TALK", video_settings=LOW)
    pcm = speech_pcm_16k("Hello there, professor.", tmp_path)
    async with in_room(fake, push_to_talk) as client:
        await microphone_open(fake, client, push_to_talk["session_id"])
        await client.speak(pcm)  # not holding the button: not heard
        assert client.events("user.speak_started") == []
        await client.command("user.start_push_to_talk")
        await client.wait_event("user.push_to_talk_started")
        await client.speak(pcm)
        await client.wait_event("user.speak_ended", within=10)
        await client.command("user.stop_push_to_talk")
        await client.wait_event("user.push_to_talk_stopped")


async def test_the_end_of_the_session_reaches_the_page(fake: Fake) -> None:
    by_client = await fake.started(video_settings=LOW)
    async with in_room(fake, by_client) as client:
        await fake.bearer("POST", "/v1/sessions/stop", by_client["session_token"])
        (stopped,) = await client.wait_event("session.stopped")
        assert stopped["stop_reason"] == "USER_CLOSED" and set(stopped) == {
            "event_id",
            "event_type",
            "session_id",
            "source_event_id",
            "stop_reason",
        }
        await client.wait(lambda: client.disconnected)  # then the room is deleted

    by_server = await fake.started(video_settings=LOW)
    async with in_room(fake, by_server) as client:
        await fake.admin("POST", f"/admin/sessions/{by_server['session_id']}/stop", json={"reason": "AVATAR_DELETED"})
        (stopped,) = await client.wait_event("session.stopped")
        assert stopped["stop_reason"] == "AVATAR_DELETED"
        await client.wait(lambda: client.disconnected)


async def test_the_lite_socket_checks_its_token_and_session(fake: Fake) -> None:
    assert "ws_url" not in await fake.started(video_settings=LOW)  # FULL sessions have no LITE socket
    live = await fake.started(mode="LITE", avatar_persona=None, video_settings=LOW)
    other = await fake.started(mode="LITE", avatar_persona=None, video_settings=LOW)
    url, other_url = live["ws_url"], other["ws_url"]
    assert await closed_with(url.replace("token=", "token=x")) == 4401
    assert await closed_with(url.split("&token=")[0] + "&token=" + other_url.split("&token=")[1]) == 4404
    # Not the session token, nor LiveKit's client token.
    assert await closed_with(url.split("&token=")[0] + "&token=" + live["session_token"]) == 4401
    assert await closed_with(url.split("&token=")[0] + "&token=" + live["livekit_client_token"]) == 4401


async def test_lite_mode_plays_the_clients_audio_and_reports_speaking(fake: Fake, tmp_path: Path) -> None:
    live = await fake.started(mode="LITE", avatar_persona=None, video_settings=LOW)
    pcm16k = np.frombuffer(speech_pcm_16k("This audio comes from my own agent.", tmp_path), dtype=np.int16)
    pcm24k = np.interp(np.linspace(0, len(pcm16k) - 1, len(pcm16k) * 3 // 2), np.arange(len(pcm16k)), pcm16k)
    seconds = len(pcm24k) / 24_000
    audio = base64.b64encode(pcm24k.astype(np.int16).tobytes()).decode()
    async with in_room(fake, live) as page, connect(live["ws_url"]) as lite:
        assert json.loads(await lite.recv())["state"] == "connected"
        loop = asyncio.get_running_loop()
        for offset in range(0, len(audio), 64_000):
            await lite.send(
                json.dumps({"type": "agent.speak", "event_id": "speak-1", "audio": audio[offset : offset + 64_000]})
            )
        await lite.send(json.dumps({"type": "agent.speak_end", "event_id": "speak-1"}))
        started = json.loads(await asyncio.wait_for(lite.recv(), 20))
        started_at = loop.time()
        assert started == {"type": "agent.speak_started", "event_id": "speak-1"}
        ended = json.loads(await asyncio.wait_for(lite.recv(), 20))
        ended_at = loop.time()
        assert ended == {"type": "agent.speak_ended", "event_id": "speak-1"}
        assert ended_at - started_at >= 0.8 * seconds
        # The client's audio is what the avatar says on its track; LITE reports on its own socket only.
        assert page.loud_between(started_at, ended_at + 1.0) >= 0.5 * seconds
        assert page.events("avatar.speak_started") == []

        await lite.send(json.dumps({"type": "agent.speak", "event_id": "speak-2", "audio": audio}))
        await lite.send(json.dumps({"type": "agent.speak_end", "event_id": "speak-2"}))
        assert json.loads(await asyncio.wait_for(lite.recv(), 20))["type"] == "agent.speak_started"
        await lite.send(json.dumps({"type": "agent.interrupt"}))
        interrupted = json.loads(await asyncio.wait_for(lite.recv(), 20))
        assert interrupted == {"type": "agent.speak_interrupted", "event_id": "speak-2"}
        await lite.send("not json")
        assert json.loads(await asyncio.wait_for(lite.recv(), 20))["type"] == "error"


async def closed_with(url: str) -> int | None:
    """Connect and return the close code the service answers with."""
    async with connect(url) as socket:
        try:
            while True:
                await asyncio.wait_for(socket.recv(), 20)
        except ConnectionClosed:
            pass
        return socket.close_code


async def _is(value: Any, wanted: Any) -> bool:
    return bool(value == wanted)
