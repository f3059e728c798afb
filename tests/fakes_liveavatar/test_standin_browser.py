"""The stand-in SDK in headless Chromium, loaded cross-origin by a crossOriginIsolated page like the bot page:
stream, picture and sound, commands and their events, how sessions end, and voice chat through the fake mic."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fakes_liveavatar.audio import padded_speech_wav
from tests.fakes_liveavatar.browser import chromium, events, open_harness, wait_event
from tests.fakes_liveavatar.client import Fake, wait_for
from tests.fakes_liveavatar.harness import harness_server

pytestmark = pytest.mark.browser

TUTOR_PROMPT = (
    "You are Professor Ada, a Socratic tutor for calculus. We study derivatives, the power rule, "
    "the derivative of x squared, the slope of the tangent line, and limits. Never give the answer."
)
START = "([token, options]) => harness.start(token, options)"


def sdk_url(fake: Fake) -> str:
    return f"{fake.base_url}/sdk/liveavatar-web-sdk.js"


async def test_stream_ready_gives_a_moving_picture_and_audible_speech(fake: Fake) -> None:
    token = await fake.token(video_settings={"quality": "low"})
    async with harness_server() as harness, chromium() as browser:
        page = await open_harness(browser, harness, sdk_url(fake))
        assert await page.evaluate("crossOriginIsolated") is True
        session_id = await page.evaluate(START, [token["session_token"], {"apiUrl": fake.base_url}])
        assert session_id == token["session_id"]
        names = [event["name"] for event in await events(page)]
        states = [event["payload"] for event in await events(page, "session.state_changed")]
        assert states == ["CONNECTING", "CONNECTED"]
        assert names.index("session.stream_ready") > names.index("session.state_changed")
        assert (await events(page, "session.stream_ready"))[0]["payload"] is None
        assert await page.evaluate("[session.state, session.mode, session.maxSessionDuration]") == [
            "CONNECTED",
            "FULL",
            7200,
        ]
        stream = await page.evaluate(
            "(() => { const s = document.getElementById('avatar').srcObject;"
            " return [s.getVideoTracks().length, s.getAudioTracks().length]; })()"
        )
        assert stream == [1, 1]
        await page.wait_for_function("document.getElementById('avatar').videoWidth > 0", timeout=20_000)
        first = await page.evaluate("harness.frame()")
        await asyncio.sleep(0.6)
        second = await page.evaluate("harness.frame()")
        assert (first["width"], first["height"]) == (640, 360)
        assert first["mean"] > 20, "the picture is black"
        changed = sum(abs(a - b) for a, b in zip(first["fingerprint"], second["fingerprint"], strict=True))
        assert changed > 50, "the picture is frozen"
        silent = await page.evaluate("harness.audioPeak(400)")
        await page.evaluate("session.repeat('Good afternoon everyone, let us talk about derivatives today.')")
        await wait_event(page, "avatar.speak_started")
        speaking = await page.evaluate("harness.audioPeak(1500)")
        assert silent < 0.01 < speaking, (silent, speaking)


async def test_repeat_message_and_interrupt_events_and_timing(fake: Fake) -> None:
    context_id = await fake.create_context(prompt=TUTOR_PROMPT)
    token = await fake.token(avatar_persona={"context_id": context_id}, video_settings={"quality": "low"})
    async with harness_server() as harness, chromium() as browser:
        page = await open_harness(browser, harness, sdk_url(fake))
        await page.evaluate(START, [token["session_token"], {"apiUrl": fake.base_url}])

        event_id = await page.evaluate("session.repeat('The power rule is worth remembering.')")
        await wait_event(page, "avatar.speak_ended")
        mine = [
            event
            for event in await events(page)
            if isinstance(event["payload"], dict) and event["payload"].get("source_event_id") == event_id
        ]
        assert [event["name"] for event in mine] == [
            "avatar.transcription",
            "avatar.speak_started",
            "avatar.speak_ended",
        ]
        assert mine[0]["payload"]["text"] == "The power rule is worth remembering."
        assert set(mine[1]["payload"]) == {"event_id", "event_type", "source_event_id", "session_id"}
        assert mine[1]["payload"]["event_type"] == "avatar.speak_started"
        assert mine[2]["t"] - mine[1]["t"] > 1000  # it takes the time of the speech, not an instant

        message_id = await page.evaluate("session.message('Why does the power rule work?')")
        replies = await wait_event(page, "avatar.transcription", count=2)
        assert replies[1]["payload"]["source_event_id"] == message_id
        assert replies[1]["payload"]["text"].endswith("?")
        await wait_event(page, "avatar.speak_started", count=2)
        await page.evaluate("session.interrupt()")
        ended = await wait_event(page, "avatar.speak_ended", count=2, within_ms=5_000)
        started = await events(page, "avatar.speak_started")
        assert ended[1]["t"] - started[1]["t"] < 4000
        await asyncio.sleep(0.4)
        assert await page.evaluate("harness.audioPeak(600)") < 0.01, "the avatar kept talking after interrupt()"

        listening_id = await page.evaluate("session.startListening()")
        assert isinstance(listening_id, str) and len(listening_id) == 36
        await page.evaluate("session.stopListening()")
        await page.evaluate("session.keepAlive()")


async def test_stop_is_client_initiated_and_a_server_stop_is_server_initiated(fake: Fake) -> None:
    by_client, by_server = await fake.token(), await fake.token()
    async with harness_server() as harness, chromium() as browser:
        page = await open_harness(browser, harness, sdk_url(fake))
        await page.evaluate(START, [by_client["session_token"], {"apiUrl": fake.base_url}])
        await page.evaluate("session.stop()")
        disconnected = await wait_event(page, "session.disconnected")
        assert disconnected[0]["payload"] == "CLIENT_INITIATED"
        states = [event["payload"] for event in await events(page, "session.state_changed")]
        assert states[-2:] == ["DISCONNECTING", "DISCONNECTED"]
        assert (
            await page.evaluate("document.getElementById('avatar').srcObject.getVideoTracks()[0].readyState") == "ended"
        )
        await wait_for(lambda: _ended_with(fake, by_client["session_id"], "USER_CLOSED"))
        error = await page.evaluate(
            "(() => { try { session.repeat('x'); return null; } catch (e) { return e.message; } })()"
        )
        assert error == "Session needs to be connected to send command event"

        page = await open_harness(browser, harness, sdk_url(fake))
        await page.evaluate(START, [by_server["session_token"], {"apiUrl": fake.base_url}])
        await fake.admin("POST", f"/admin/sessions/{by_server['session_id']}/stop", json={"reason": "NO_CREDITS"})
        stopped = await wait_event(page, "session.stopped")
        assert stopped[0]["payload"]["stop_reason"] == "NO_CREDITS"
        disconnected = await wait_event(page, "session.disconnected")
        assert disconnected[0]["payload"] == "SERVER_INITIATED"
        assert await page.evaluate("session.state") == "DISCONNECTED"
        assert (await fake.session(by_server["session_id"]))["end_reason"] == "NO_CREDITS"


async def test_an_idle_session_is_ended_by_the_service(make_fake: object) -> None:
    fake: Fake = await make_fake(idle_timeout_s=1.5)  # type: ignore[operator]
    token = await fake.token(video_settings={"quality": "low"})
    async with harness_server() as harness, chromium() as browser:
        page = await open_harness(browser, harness, sdk_url(fake))
        await page.evaluate(START, [token["session_token"], {"apiUrl": fake.base_url}])
        stopped = await wait_event(page, "session.stopped")
        assert stopped[0]["payload"]["stop_reason"] == "IDLE_TIMEOUT"
        assert (await wait_event(page, "session.disconnected"))[0]["payload"] == "SERVER_INITIATED"


async def test_a_failed_start_reports_session_start_failed(fake: Fake) -> None:
    ended = await fake.token()
    await fake.api("POST", "/v1/sessions/stop", json={"session_id": ended["session_id"]})
    faulted = await fake.token()
    await fake.admin("POST", "/admin/faults", json={"path": "/v1/sessions/start", "fault": "500"})
    async with harness_server() as harness, chromium() as browser:
        for token, status, message in ((faulted, 500, "injected"), (ended, 400, "already ended")):
            page = await open_harness(browser, harness, sdk_url(fake))
            failure = await page.evaluate(
                "([token, options]) => harness.start(token, options).then(() => null,"
                " (e) => ({message: e.message, status: e.status, code: e.errorCode}))",
                [token["session_token"], {"apiUrl": fake.base_url}],
            )
            assert failure["status"] == status and message in failure["message"], failure
            assert (await events(page, "session.disconnected"))[0]["payload"] == "SESSION_START_FAILED"


VOICE_INIT = """
window.microphoneRequests = [];
const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = (constraints) => {
  window.microphoneRequests.push(JSON.parse(JSON.stringify(constraints)));
  return original(constraints);
};
"""


async def test_voice_chat_hears_a_sentence_through_the_microphone(fake: Fake, tmp_path: Path) -> None:
    # A Klatt voice: WebRTC's noise suppressor (which the SDK's constraints switch on) removes most of
    # espeak-ng's default voice, as it would any steady synthetic tone.
    wav = padded_speech_wav("What is the derivative of x squared?", tmp_path / "student.wav", voice="en-us+klatt")
    context_id = await fake.create_context(name="Calculus", prompt=TUTOR_PROMPT)
    token = await fake.token(avatar_persona={"context_id": context_id}, video_settings={"quality": "low"})
    async with harness_server() as harness, chromium(fake_audio=wav) as browser:
        page = await open_harness(browser, harness, sdk_url(fake), init_script=VOICE_INIT)
        device = await page.evaluate(
            "navigator.mediaDevices.enumerateDevices().then((all) => all.find((d) => d.kind === 'audioinput').deviceId)"
        )
        options = {"apiUrl": fake.base_url, "voiceChat": {"deviceId": device, "mode": "CONVERSATIONAL"}}
        await page.evaluate(START, [token["session_token"], options])
        assert await page.evaluate("session.voiceChat.state") == "ACTIVE"
        (request,) = await page.evaluate("window.microphoneRequests")
        audio = request["audio"]
        assert audio["deviceId"] == {"exact": device}
        assert audio["echoCancellation"] is True and audio["noiseSuppression"] is True
        assert audio["autoGainControl"] is True

        heard = await wait_event(page, "user.transcription", within_ms=45_000)
        text = heard[0]["payload"]["text"]
        assert "derivative" in text and "squared" in text, text
        names = [event["name"] for event in await events(page)]
        assert names.index("user.speak_started") < names.index("user.speak_ended") < names.index("user.transcription")
        replies = await wait_event(page, "avatar.transcription")
        assert replies[0]["payload"]["text"].endswith("?")

        await page.evaluate("session.voiceChat.mute()")
        assert await page.evaluate("session.voiceChat.isMuted") is True
        await page.evaluate("session.voiceChat.unmute()")
        assert await page.evaluate("session.voiceChat.isMuted") is False
        assert await page.evaluate("([id]) => session.voiceChat.setDevice(id)", [device]) is True
        assert len(await page.evaluate("window.microphoneRequests")) == 2
        transcript = (await fake.api("GET", f"/v1/sessions/{token['session_id']}/transcript")).json()["data"]
        roles = [entry["role"] for entry in transcript["transcript_data"]]
        assert roles[:2] == ["user", "avatar"]


async def _ended_with(fake: Fake, session_id: str, reason: str) -> bool:
    session = await fake.session(session_id)
    return bool(session["end_reason"] == reason)


TONE_BASE64 = """
(() => {
  const samples = new Int16Array(24000);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 24000));
  const bytes = new Uint8Array(samples.buffer);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
})()
"""


async def test_lite_mode_repeat_audio_through_the_ws_url(fake: Fake) -> None:
    token = await fake.token(mode="LITE", avatar_persona=None, video_settings={"quality": "low"})
    async with harness_server() as harness, chromium() as browser:
        page = await open_harness(browser, harness, sdk_url(fake))
        await page.evaluate(START, [token["session_token"], {"apiUrl": fake.base_url}])
        assert await page.evaluate("session.mode") == "LITE"
        error = await page.evaluate("(() => { try { session.repeat('hi'); } catch (e) { return e.message; } })()")
        assert error == "Not permitted in LITE mode"
        await page.evaluate(f"session.repeatAudio({TONE_BASE64})")
        started = await wait_event(page, "avatar.speak_started")
        assert started[0]["payload"]["event_type"] == "avatar.speak_started"
        assert await page.evaluate("harness.audioPeak(500)") > 0.02
        ended = await wait_event(page, "avatar.speak_ended")
        assert ended[0]["payload"]["event_id"] == started[0]["payload"]["event_id"]
