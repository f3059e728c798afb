"""The media bridge on its own, in headless Chromium: virtual devices, fresh clones, the compositor, the
meeting-audio tap (WebAudio and media elements, never muted ones, never the avatar's own voice)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright

from farm.browsers.browser_node import media_bridge_source
from tests.support.browsers import launch, launch_options

pytestmark = pytest.mark.browser

ORIGIN = "http://127.0.0.1:9"
AVATAR_SDK = f"{ORIGIN}/vendor/npm/@heygen/liveavatar-web-sdk/dist/index.esm.js"
OPEN_MEETING_AUDIO = "() => navigator.mediaDevices.getUserMedia({audio: {deviceId: 'avatarfarm-meeting-audio'}})"


@pytest.fixture
async def bridge_page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await launch(playwright, **launch_options())
        context = await browser.new_context()
        await context.add_init_script(media_bridge_source())
        tab = await context.new_page()

        async def serve(route: Any) -> None:
            if route.request.url == AVATAR_SDK:
                # Stands for the avatar SDK: it plays the avatar's voice through WebAudio.
                body = "window.avatarVoice = () => { const c = new AudioContext(); const o = c.createOscillator();"
                body += " o.connect(c.destination); o.start(); return c; };"
                await route.fulfill(body=body, content_type="text/javascript")
            else:
                await route.fulfill(body="<!doctype html><title>bridge</title>", content_type="text/html")

        await tab.route(f"{ORIGIN}/**", serve)
        await tab.goto(f"{ORIGIN}/page")
        yield tab
        await browser.close()


# Reads `count` frames off a fresh clone of the camera track: their timestamps (µs, the compositor's clock) and
# display sizes. Waits for the frames themselves, however slow the machine is.
CAMERA_FRAMES = """async (count) => {
  const stream = await navigator.mediaDevices.getUserMedia({video: {deviceId: 'avatarfarm-avatar-camera'}});
  const reader = new MediaStreamTrackProcessor({track: stream.getVideoTracks()[0]}).readable.getReader();
  const frames = [];
  while (frames.length < count) {
    const {value} = await reader.read();
    frames.push({timestamp: value.timestamp, width: value.displayWidth, height: value.displayHeight});
    value.close();
  }
  reader.cancel();
  stream.getTracks().forEach((t) => t.stop());
  return frames;
}"""


async def _camera_frames(page: Page, count: int) -> list[dict[str, int]]:
    frames: list[dict[str, int]] = await page.evaluate(CAMERA_FRAMES, count)
    return frames


async def _frames_sent_in_a_second(page: Page) -> int:
    """Frames the compositor sends while the page's paused clock is moved on by one second, 100 ms at a time (the
    page runs its own tasks between steps, so the camera's writer is never found behind)."""
    before = (await _stats(page))["compositor"]["frames"]
    for _ in range(10):
        await page.clock.run_for(100)
    return int((await _stats(page))["compositor"]["frames"]) - before


async def _stats(page: Page) -> dict[str, Any]:
    stats: dict[str, Any] = await page.evaluate("() => window.__avatarfarmBridge.stats()")
    return stats


async def test_three_labelled_virtual_devices_and_no_screen_sharing(bridge_page: Page) -> None:
    devices = await bridge_page.evaluate(
        "async () => (await navigator.mediaDevices.enumerateDevices()).map(d => [d.kind, d.label, d.deviceId])"
    )
    assert devices[:3] == [
        ["videoinput", "Avatar Camera", "avatarfarm-avatar-camera"],
        ["audioinput", "Avatar Microphone", "avatarfarm-avatar-microphone"],
        ["audioinput", "Meeting Audio", "avatarfarm-meeting-audio"],
    ]
    refused = await bridge_page.evaluate(
        "async () => { try { await navigator.mediaDevices.getDisplayMedia({video: true}); return 'allowed'; }"
        " catch (e) { return e.name; } }"
    )
    assert refused == "NotAllowedError"


async def test_requests_are_answered_by_device_id_with_fresh_clones(bridge_page: Page) -> None:
    result = await bridge_page.evaluate(
        """async () => {
          const md = navigator.mediaDevices;
          const byExact = await md.getUserMedia({audio: {deviceId: {exact: 'avatarfarm-meeting-audio'}}});
          const byIdeal = await md.getUserMedia({audio: {deviceId: {ideal: 'avatarfarm-meeting-audio'}}});
          const plain = await md.getUserMedia({audio: true, video: true});
          const asDefault = await md.getUserMedia({audio: {deviceId: 'default'}});
          const first = await md.getUserMedia({video: {deviceId: {exact: 'avatarfarm-avatar-camera'}}});
          first.getTracks().forEach(t => t.stop());
          const second = await md.getUserMedia({video: true});
          return {
            exact: byExact.getAudioTracks()[0].label, ideal: byIdeal.getAudioTracks()[0].label,
            plain: plain.getTracks().map(t => t.label).sort(), asDefault: asDefault.getAudioTracks()[0].label,
            distinct: first.getVideoTracks()[0].id !== second.getVideoTracks()[0].id,
            stillLive: second.getVideoTracks()[0].readyState,
            settings: second.getVideoTracks()[0].getSettings().deviceId,
          };
        }"""
    )
    assert result["exact"] == result["ideal"] == "Meeting Audio"
    assert result["plain"] == ["Avatar Camera", "Avatar Microphone"]
    assert result["asDefault"] == "Avatar Microphone"
    assert result["distinct"] and result["stillLive"] == "live"
    assert result["settings"] == "avatarfarm-avatar-camera"
    # The placeholder is drawn: frames keep coming (at what rate: the next test, on the page's own clock).
    frames = await _camera_frames(bridge_page, 12)
    assert {(f["width"], f["height"]) for f in frames} == {(640, 360)}
    stats = await _stats(bridge_page)
    assert stats["compositor"]["width"] == 640 and stats["compositor"]["height"] == 360
    assert stats["avatar_playing"] is False


async def test_the_compositor_follows_its_configuration(bridge_page: Page) -> None:
    await bridge_page.evaluate(
        "() => { window.__avatarfarmBridge.configure({width: 320, height: 180, fps: 10, professorName: 'Ada'});"
        " return navigator.mediaDevices.getUserMedia({video: true}); }"
    )
    frames = await _camera_frames(bridge_page, 8)
    assert {(f["width"], f["height"]) for f in frames} == {(320, 180)}
    stats = await _stats(bridge_page)
    assert (stats["compositor"]["width"], stats["compositor"]["height"]) == (320, 180)
    thumbnail = await bridge_page.evaluate("() => window.__avatarfarmBridge.thumbnail(160)")
    assert thumbnail.startswith("data:image/jpeg;base64,")


async def test_the_placeholder_card_is_drawn_at_its_own_frame_rate(bridge_page: Page) -> None:
    """Counted on the page's own clock, paused and moved on by the test: a timer's jitter on a loaded machine
    cannot change the count (the rate a machine really reaches is measured by `make bench`). The card has its
    own rate, lower than the camera's: the camera's rate thins the avatar's frames, never the card's."""
    await bridge_page.clock.install(time=0)
    await bridge_page.clock.pause_at(1000)
    await bridge_page.evaluate("() => navigator.mediaDevices.getUserMedia({video: true}).then(() => null)")
    assert await _frames_sent_in_a_second(bridge_page) == 5  # the default
    await bridge_page.evaluate("() => window.__avatarfarmBridge.configure({fps: 10})")
    assert await _frames_sent_in_a_second(bridge_page) == 5
    await bridge_page.evaluate("() => window.__avatarfarmBridge.configure({placeholderFps: 10})")
    assert await _frames_sent_in_a_second(bridge_page) == 10


async def _level_in_from_now(page: Page, wait_ms: int = 700) -> float:
    """The heartbeat's level_in over the next `wait_ms` (it is the loudest reading since the previous one)."""
    await page.wait_for_timeout(100)  # the change just made has reached the analyser
    await _stats(page)
    await page.wait_for_timeout(wait_ms)
    return float((await _stats(page))["level_in"])


async def test_meeting_audio_is_tapped_from_webaudio_and_elements_but_not_muted_ones(bridge_page: Page) -> None:
    await bridge_page.evaluate(OPEN_MEETING_AUDIO)
    await bridge_page.evaluate(
        "() => { const c = new AudioContext(); const o = c.createOscillator(); o.connect(c.destination); o.start();"
        " window.tone = o; }"
    )
    await bridge_page.wait_for_timeout(700)
    assert (await _stats(bridge_page))["level_in"] > 0.1
    await bridge_page.evaluate("() => window.tone.disconnect()")
    assert await _level_in_from_now(bridge_page) == 0
    await bridge_page.evaluate(
        """async () => {
          const c = new AudioContext(); const o = c.createOscillator(); const d = c.createMediaStreamDestination();
          o.connect(d); o.start();
          const element = new Audio(); element.srcObject = d.stream; element.muted = true; await element.play();
          window.element = element;
        }"""
    )
    assert await _level_in_from_now(bridge_page) == 0  # muted elements are not heard by a person either
    await bridge_page.evaluate("() => { window.element.muted = false; }")
    await bridge_page.wait_for_timeout(700)
    assert (await _stats(bridge_page))["level_in"] > 0.1


async def test_the_heartbeat_level_is_the_loudest_since_the_previous_heartbeat(bridge_page: Page) -> None:
    """Speech has gaps: a word heard between two heartbeats counts, though the room is quiet at the second."""
    await bridge_page.evaluate(OPEN_MEETING_AUDIO)
    await _stats(bridge_page)
    await bridge_page.evaluate(
        "() => { const c = new AudioContext(); const o = c.createOscillator(); o.connect(c.destination); o.start();"
        " o.stop(c.currentTime + 0.3); }"
    )
    await bridge_page.wait_for_timeout(800)  # the word is over
    assert (await _stats(bridge_page))["level_in"] > 0.1
    assert (await _stats(bridge_page))["level_in"] == 0  # and counted once


async def test_the_avatar_never_hears_its_own_voice(bridge_page: Page) -> None:
    exclude = "() => window.__avatarfarmBridge.configure({excludeAudioFrom: ['/vendor/npm/@heygen/']})"
    await bridge_page.evaluate(exclude)
    await bridge_page.add_script_tag(url=AVATAR_SDK)
    await bridge_page.evaluate(OPEN_MEETING_AUDIO)
    await bridge_page.evaluate("() => { window.voice = window.avatarVoice(); }")
    await bridge_page.wait_for_timeout(800)
    assert (await _stats(bridge_page))["level_in"] == 0
