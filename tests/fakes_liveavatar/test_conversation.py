"""The avatar's side of a live session over the media socket: speaking, queueing, interrupting, replying,
listening, push-to-talk, transcripts and how the session's end reaches the page."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.fakes_liveavatar.audio import speech_pcm_16k
from tests.fakes_liveavatar.client import Fake
from tests.fakes_liveavatar.media_client import closed_with, media_client

TUTOR_PROMPT = (
    "You are Professor Ada, a Socratic tutor for calculus. We study derivatives, the power rule, "
    "the derivative of x squared, the slope of the tangent line, and limits. Never give the answer."
)
SAMPLE_RATE = 22_050


async def test_repeat_speaks_the_text_with_events_in_order_and_real_audio(fake: Fake) -> None:
    live = await fake.started()
    async with media_client(live["media_url"]) as client:
        assert client.info["width"] == 1280 and client.info["height"] == 720 and client.info["fps"] == 25
        assert client.info["avatar"]["name"] == "Wayne"
        text = "Welcome to the calculus study group."
        event_id = await client.command("avatar.speak_text", text=text)
        await client.wait_event("avatar.speak_ended")
        kinds = [event["event_type"] for event in client.events()]
        assert kinds == ["avatar.transcription", "avatar.speak_started", "avatar.speak_ended"]
        for event in client.events():
            assert event["source_event_id"] == event_id and event["session_id"] == live["session_id"]
            assert event["event_id"] and event["event_id"] != event_id
        assert client.events("avatar.transcription")[0]["text"] == text
        begin = client.messages("audio.begin")[0]
        assert begin["text"] == text and begin["sample_rate"] == SAMPLE_RATE
        audio_seconds = client.audio_bytes[begin["utterance_id"]] / 2 / SAMPLE_RATE
        assert 1.0 < audio_seconds < 6.0
        (started_at, _), (ended_at, _) = client.timed("avatar.speak_started")[0], client.timed("avatar.speak_ended")[0]
        assert ended_at - started_at >= 0.8 * audio_seconds  # speak_ended comes when the audio has played
        assert client.messages("audio.end") and not client.messages("audio.stop")
        states = [message["state"] for message in client.messages("avatar.state")]
        assert "speaking" in states and states[-1] == "idle"
    transcript = (await fake.api("GET", f"/v1/sessions/{live['session_id']}/transcript")).json()["data"]
    assert [(entry["role"], entry["transcript"]) for entry in transcript["transcript_data"]] == [("avatar", text)]
    assert transcript["session_active"] is True


async def test_commands_queue_and_interrupt_drops_the_rest(fake: Fake) -> None:
    live = await fake.started()
    async with media_client(live["media_url"]) as client:
        long_text = "This is a long explanation that keeps going on and on about tangent lines and their slopes."
        first = await client.command("avatar.speak_text", text=long_text)
        second = await client.command("avatar.speak_text", text="And this sentence waits in the queue.")
        await client.wait_event("avatar.speak_started")
        await asyncio.sleep(0.5)
        await client.command("avatar.interrupt")
        await client.wait_event("avatar.speak_ended")
        ended_at, ended = client.timed("avatar.speak_ended")[0]
        started_at = client.timed("avatar.speak_started")[0][0]
        begin = client.messages("audio.begin")[0]
        full_seconds = client.audio_bytes[begin["utterance_id"]] / 2 / SAMPLE_RATE
        assert ended["source_event_id"] == first
        assert client.messages("audio.stop")
        await asyncio.sleep(1.0)
        # The interrupted utterance ended early (it is > 4 s long) and the queued one never started.
        assert ended_at - started_at < 3.5
        assert [event["source_event_id"] for event in client.events("avatar.speak_started")] == [first]
        assert second in [event["source_event_id"] for event in client.events("avatar.transcription")]
        assert full_seconds > 0

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
    live = await fake.started(avatar_persona={"context_id": context_id})
    async with media_client(live["media_url"]) as client:
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
    live = await fake.started()
    async with media_client(live["media_url"]) as client:
        await client.command("avatar.speak_response", text="What is the derivative of x squared?")
        await asyncio.sleep(1.5)
        assert client.events("avatar.transcription") == []


async def test_the_opening_text_is_spoken_when_the_page_connects(fake: Fake) -> None:
    context_id = await fake.create_context(prompt=TUTOR_PROMPT, opening_text="Hello room ${room}, I am Ada.")
    live = await fake.started(avatar_persona={"context_id": context_id}, dynamic_variables={"room": "three"})
    async with media_client(live["media_url"]) as client:
        (greeting,) = await client.wait_event("avatar.transcription")
        assert greeting["text"] == "Hello room three, I am Ada." and greeting["source_event_id"] is None
        await client.wait_event("avatar.speak_ended")


async def test_user_speech_is_transcribed_with_context_hints_and_answered(fake: Fake, tmp_path: Path) -> None:
    context_id = await fake.create_context(name="Calculus", prompt=TUTOR_PROMPT)
    live = await fake.started(avatar_persona={"context_id": context_id})
    pcm = speech_pcm_16k("What is the derivative of x squared?", tmp_path)
    async with media_client(live["media_url"]) as client:
        await client.speak_as_user(pcm)
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
    live = await fake.started()
    async with media_client(live["media_url"]) as client:
        await client.command("avatar.speak_text", text="A long story about limits and slopes that goes on for a while.")
        await client.wait_event("avatar.speak_started")
        await client.socket.send('{"type": "user.audio_start"}')
        await client.wait_event("avatar.speak_ended", within=5)
        assert client.messages("audio.stop")


async def test_listening_state_and_push_to_talk(fake: Fake, tmp_path: Path) -> None:
    conversational = await fake.started()
    async with media_client(conversational["media_url"]) as client:
        await client.command("avatar.start_listening")
        await client.wait(lambda: client.messages("avatar.state")[-1]["state"] == "listening")
        await client.command("avatar.stop_listening")
        await client.wait(lambda: client.messages("avatar.state")[-1]["state"] == "idle")
        await client.socket.send('{"type": "agent-control", "data": {"event_type": "user.start_push_to_talk"}}')
        await client.wait_event("user.push_to_talk_start_failed")

    push_to_talk = await fake.started(interactivity_type="PUSH_TO_TALK")
    pcm = speech_pcm_16k("Hello", tmp_path)
    async with media_client(push_to_talk["media_url"]) as client:
        await client.speak_as_user(pcm)  # not holding the button: ignored
        await asyncio.sleep(0.5)
        assert client.events("user.speak_started") == []
        await client.socket.send('{"type": "agent-control", "data": {"event_type": "user.start_push_to_talk"}}')
        await client.wait_event("user.push_to_talk_started")
        await client.speak_as_user(pcm)
        await client.wait_event("user.speak_ended")
        await client.socket.send('{"type": "agent-control", "data": {"event_type": "user.stop_push_to_talk"}}')
        await client.wait_event("user.push_to_talk_stopped")


async def test_the_end_of_the_session_reaches_the_page(fake: Fake) -> None:
    by_client = await fake.started()
    async with media_client(by_client["media_url"]) as client:
        await fake.bearer("POST", "/v1/sessions/stop", by_client["session_token"])
        (stopped,) = await client.wait_event("session.stopped")
        assert stopped["stop_reason"] == "USER_CLOSED" and "end_reason" not in stopped
        await client.wait(lambda: client.close_code is not None)
        assert client.close_code == 1000

    by_server = await fake.started()
    async with media_client(by_server["media_url"]) as client:
        await fake.admin("POST", f"/admin/sessions/{by_server['session_id']}/stop", json={"reason": "AVATAR_DELETED"})
        (stopped,) = await client.wait_event("session.stopped")
        assert stopped["stop_reason"] == "AVATAR_DELETED"


async def test_the_media_socket_checks_its_token_and_session(fake: Fake) -> None:
    live = await fake.started()
    url = live["media_url"]
    assert await closed_with(url.replace("token=", "token=x")) == 4401
    other = await fake.started()
    assert await closed_with(url.split("&token=")[0] + "&token=" + other["media_url"].split("&token=")[1]) == 4404
    await fake.bearer("POST", "/v1/sessions/stop", live["session_token"])
    assert await closed_with(url) == 4410


async def test_lite_mode_plays_the_clients_audio_and_reports_speaking(fake: Fake, tmp_path: Path) -> None:
    import base64
    import json

    import numpy as np
    from websockets.asyncio.client import connect

    live = await fake.started(mode="LITE", avatar_persona=None)
    pcm16k = np.frombuffer(speech_pcm_16k("This audio comes from my own agent.", tmp_path), dtype=np.int16)
    pcm24k = np.interp(np.linspace(0, len(pcm16k) - 1, len(pcm16k) * 3 // 2), np.arange(len(pcm16k)), pcm16k)
    audio = base64.b64encode(pcm24k.astype(np.int16).tobytes()).decode()
    async with media_client(live["media_url"]) as page, connect(live["ws_url"]) as lite:
        assert json.loads(await lite.recv())["state"] == "connected"
        for offset in range(0, len(audio), 64_000):
            await lite.send(
                json.dumps({"type": "agent.speak", "event_id": "speak-1", "audio": audio[offset : offset + 64_000]})
            )
        await lite.send(json.dumps({"type": "agent.speak_end", "event_id": "speak-1"}))
        started = json.loads(await asyncio.wait_for(lite.recv(), 20))
        assert started == {"type": "agent.speak_started", "event_id": "speak-1"}
        ended = json.loads(await asyncio.wait_for(lite.recv(), 20))
        assert ended == {"type": "agent.speak_ended", "event_id": "speak-1"}
        begin = page.messages("audio.begin")[0]
        assert begin["sample_rate"] == 24_000
        assert page.audio_bytes[begin["utterance_id"]] == len(pcm24k) * 2
        assert page.events("avatar.speak_started") == []  # LITE reports on its own socket

        await lite.send(json.dumps({"type": "agent.speak", "event_id": "speak-2", "audio": audio}))
        await lite.send(json.dumps({"type": "agent.speak_end", "event_id": "speak-2"}))
        assert json.loads(await asyncio.wait_for(lite.recv(), 20))["type"] == "agent.speak_started"
        await lite.send(json.dumps({"type": "agent.interrupt"}))
        interrupted = json.loads(await asyncio.wait_for(lite.recv(), 20))
        assert interrupted == {"type": "agent.speak_interrupted", "event_id": "speak-2"}
        await lite.send("not json")
        assert json.loads(await asyncio.wait_for(lite.recv(), 20))["type"] == "error"
