"""A bot page on the fakes goes live in its breakout room, is seen and heard there, hears the student, and keeps
its camera flowing through an avatar drop and restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from pydantic import SecretStr

from farm.room.bot_page_config import PageTimings
from farm.room.page_commands import PageCommands
from farm.room.services import HEARTBEAT_TIMEOUT_SECONDS
from farm.settings import SIM_LIVEAVATAR_API_KEY
from tests.bot_page.harness import Stack, running_stack, wait_until
from tests.fakes_zoom.harness import SDK_SECRET
from tests.support.polling import until

pytestmark = pytest.mark.browser

BOT_NAME = "Prof. Ada (AI) · Room 1"


COUNT_VIDEO_DRAWS = """() => {
  const draw = CanvasRenderingContext2D.prototype.drawImage;
  window.videoDraws = 0;
  CanvasRenderingContext2D.prototype.drawImage = function (image, ...rest) {
    if (image instanceof HTMLVideoElement || image instanceof VideoFrame) window.videoDraws += 1;
    return draw.call(this, image, ...rest);
  };
}"""


async def _sent(stack: Stack, number: str, student: str) -> dict[str, Any]:
    stream = await stack.receiving(number, student, "Prof. Ada")
    return stream or {}


def _secret(value: SecretStr | None) -> str:
    assert value is not None, "the stack runs with a LiveAvatar API key"
    return value.get_secret_value()


async def test_assigned_bot_goes_live_is_seen_heard_and_hears_the_student(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        number = await stack.meeting()
        bot = await stack.launch_bot(number)
        await bot.wait_state("in_main_session")
        await stack.student(number, "Grace", room="Room 1", says="what is a base case in recursion")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name=BOT_NAME, room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name="Grace", room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        live = await bot.wait_state("live")
        # From now on, count the video pictures drawn on a 2D canvas anywhere in the page: each one would keep a
        # shared-memory copy of a frame alive in the renderer (hundreds of MiB over a class).
        await bot.call(COUNT_VIDEO_DRAWS)
        assert live["detail"]["room"] == "Room 1"
        assert bot.states() == [
            "starting",
            "joining",
            "in_main_session",
            "joining_breakout",
            "in_room",
            "avatar_connecting",
            "live",
        ]
        # The page asked for its avatar only in its room, for the student who is there.
        [wanted] = bot.events("avatar.wanted")
        assert wanted["why"] == "human_arrived" and wanted["humans"] == ["Grace"] and wanted["room"] == "Room 1"

        # The student sees the bot's camera: moving, not black.
        async def sees_video() -> bool:
            stream = await _sent(stack, number, "Grace")
            return (
                bool(stream.get("videoFps", 0)) and bool(stream.get("videoChanging")) and not stream.get("videoBlack")
            )

        await _poll(sees_video, 30, "Grace to see the bot's video")

        # The avatar speaks; the student hears it.
        await bot.call("(text) => window.avatarfarm.say(text)", "Good afternoon Grace, let us think about recursion.")

        async def hears_avatar() -> bool:
            stream = await _sent(stack, number, "Grace")
            return float(stream.get("audioPeak", 0) or 0) > 0.02

        await _poll(hears_avatar, 30, "Grace to hear the avatar")
        assert any(e.get("talking") for e in bot.events("avatar.talking"))

        # The student's speech reaches the avatar through the Meeting Audio device.
        await bot.wait_event("student.speaking", lambda d: d.get("speaking") is True, within=60)
        await bot.wait_event(
            "transcript",
            lambda d: d.get("role") == "student" and any(w in d.get("text", "") for w in ("recursion", "base")),
            within=90,
        )

        # Heartbeats carry media stats and a thumbnail of the outbound camera.
        await wait_until(lambda: any("thumbnail" in h for h in bot.heartbeats()), 15, "a heartbeat thumbnail")
        beat = bot.heartbeats()[-1]["stats"]
        assert beat["state"] == "live" and beat["room"] == "Room 1" and beat["avatar_ready"] is True
        # The camera sends the avatar's own frames, as many as it gets (the simulated avatar sends 15 a second).
        assert beat["compositor"]["width"] == 640 and beat["compositor"]["fps"] > 0 and beat["avatar_playing"]
        thumbnail = next(h["thumbnail"] for h in bot.heartbeats() if "thumbnail" in h)
        assert thumbnail.startswith("data:image/jpeg;base64,")
        assert await bot.call("() => window.videoDraws") == 0
        # Asked when a heartbeat is late (farm/room/pulse_question.py), the page says when it sent its last one.
        pulse = await PageCommands(bot.browser).pulse(within=10)
        assert pulse.last_heartbeat_at is not None and pulse.last_heartbeat_at >= bot.heartbeats()[-1]["at"]
        age = pulse.beat_age_seconds()
        assert age is not None and age < HEARTBEAT_TIMEOUT_SECONDS

        assert await bot.call("() => crossOriginIsolated") is True
        # Nothing secret in the page, its requests or its console; no host but ours.
        html = await bot.call("() => document.documentElement.outerHTML")
        console = " ".join(str(detail) for _, detail in bot.notices)
        for secret in (SDK_SECRET, SIM_LIVEAVATAR_API_KEY, _secret(stack.settings.liveavatar_api_key)):
            assert secret not in html and secret not in console
            assert all(secret not in url for url in bot.requests)
        ours = {urlparse(u).netloc for u in (stack.api_url, stack.zoom.base_url, stack.liveavatar_url)}
        assert {urlparse(u).netloc for u in bot.requests if u.startswith("http")} <= ours


async def test_self_selected_room(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        number = await stack.meeting(breakout_options={"isRoomSelectionEnabled": True})
        bot = await stack.launch_bot(number, room="Room 2")
        await bot.wait_state("in_main_session")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        in_room = await bot.wait_state("in_room")
        assert in_room["detail"]["room"] == "Room 2"
        # Reported when joinBreakoutRoom's promise settles, which may come after the SDK already shows the room.
        await bot.wait_event("meeting.breakout_joined", lambda e: e.get("how") == "self-select", within=10)
        person = await stack.zoom.person(number, "Prof. Ada (AI) · Room 2")
        assert person["location"] == "breakout" and person["room"]["name"] == "Room 2"
        # Nobody is in Room 2: no avatar is asked for, and the bot shows its card.
        await asyncio.sleep(3)
        assert bot.events("avatar.wanted") == [] and bot.vendor_sessions == []
        assert bot.last_state()["state"] == "in_room"
        assert (await bot.call("() => window.avatarfarm.status()"))["humans"] == []


async def test_avatar_drop_and_restart_never_stops_the_camera(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        number = await stack.meeting(breakout_options={"isAutoJoinRoom": True})
        bot = await stack.launch_bot(number)
        await stack.student(number, "Alan", room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name=BOT_NAME, room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name="Alan", room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        await bot.wait_state("live")

        async def fps() -> float:
            return float((await _sent(stack, number, "Alan")).get("videoFps", 0) or 0)

        await _poll(lambda: _positive(fps), 30, "Alan to receive the bot's video")
        samples: list[float] = []
        stop = asyncio.Event()

        async def sample() -> None:
            while not stop.is_set():
                samples.append(await fps())
                await asyncio.sleep(0.5)

        tracks_before = await bot.call("() => window.__avatarfarmBridge.outboundTracks.video.id")
        sampler = asyncio.create_task(sample())
        await stack.liveavatar_admin.post(
            f"/admin/sessions/{bot.vendor_session_id}/stop", json={"reason": "SERVER_ERROR"}
        )
        await bot.wait_event("avatar.dropped", lambda d: True, within=20)
        assert (await bot.bridge_stats())["avatar_playing"] is False  # the placeholder is drawn meanwhile
        # Not live without its avatar: said before the drop itself, so the farm never sees a live room without one.
        dropped_at = next(i for i, r in enumerate(bot.reports) if r.get("kind") == "avatar.dropped")
        said = [r for r in bot.reports[:dropped_at] if r["type"] == "state"][-1]
        assert (said["state"], said["detail"]["why"]) == ("avatar_connecting", "dropped")
        await asyncio.sleep(2)
        await stack.serve_avatar(bot)  # the farm's answer to a drop: a new session in place
        await bot.wait_event("avatar.ready", lambda d: d.get("session_id") == bot.vendor_sessions[-1], within=30)
        assert (await bot.call("() => window.avatarfarm.status()"))["state"] == "live"
        await _poll(lambda: _playing(bot), 20, "the compositor to draw the new avatar")
        await asyncio.sleep(2)
        stop.set()
        await sampler
        assert len(samples) >= 8
        assert min(samples) > 0, samples
        # The outbound track is the same one: the meeting never had to renegotiate.
        assert await bot.call("() => window.__avatarfarmBridge.outboundTracks.video.id") == tracks_before
        assert bot.last_state()["state"] == "live"


async def test_a_drop_the_farm_does_not_answer_leaves_the_room_paused_not_live(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        number = await stack.meeting(breakout_options={"isAutoJoinRoom": True})
        bot = await stack.launch_bot(number, serve_avatars=False, timings=PageTimings(ask_again_ms=3000))
        await stack.student(number, "Alan", room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name=BOT_NAME, room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name="Alan", room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        await bot.wait_event("avatar.wanted", lambda d: True, within=30)
        await stack.serve_avatar(bot)
        await bot.wait_state("live")
        live_at = len(bot.reports)
        await stack.liveavatar_admin.post(
            f"/admin/sessions/{bot.vendor_session_id}/stop", json={"reason": "SERVER_ERROR"}
        )
        await bot.wait_event("avatar.dropped", lambda d: True, within=20)

        def states_since_live() -> list[str]:
            return [r["state"] for r in bot.reports[live_at:] if r["type"] == "state"]

        # No new session comes (the farm said nothing): the page stops waiting and pauses, never stays "live".
        await wait_until(lambda: "idle" in states_since_live(), 15, lambda: f"idle; saw {states_since_live()}")
        assert states_since_live() == ["avatar_connecting", "idle"]
        assert (await bot.call("() => window.avatarfarm.status()"))["state"] == "idle"


async def _positive(measure) -> bool:  # type: ignore[no-untyped-def]
    return bool(await measure() > 0)


async def _playing(bot) -> bool:  # type: ignore[no-untyped-def]
    return bool((await bot.bridge_stats())["avatar_playing"])


async def _poll(check, within: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.25)


async def test_a_student_who_left_while_the_avatar_connected_leaves_an_empty_room_that_lets_it_go(
    tmp_path: Path,
) -> None:
    # Idle after 30 s; an empty room lets its avatar go after min(15 s, idle).
    async with running_stack(tmp_path, avatar_idle_minutes=0.5) as stack:
        number = await stack.meeting(breakout_options={"isRoomSelectionEnabled": True})
        bot = await stack.launch_bot(number, serve_avatars=False)
        await bot.wait_state("in_main_session")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        await bot.wait_state("in_room")
        ana = await stack.zoom.add_virtual(number, name="Ana")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/move", user_id=ana, room="Room 1")
        await bot.wait_event("avatar.wanted", lambda d: d["humans"] == ["Ana"])
        # She leaves while the farm is still minting her avatar; it arrives when nobody is in the room.
        await stack.zoom.admin.delete(f"/fake/meetings/{number}/participants/{ana}")

        async def gone() -> bool:
            return bool((await bot.call("() => window.avatarfarm.status()"))["humans"] == [])

        await until(gone, 10, "the page sees Ana gone")
        await stack.serve_avatar(bot)
        await bot.wait_state("live")
        # The room was emptied by a person who was there for this avatar: it is let go as an empty room (not
        # kept billing until it idles out, which is what an avatar nobody ever came to does).
        await bot.wait_event("avatar.released", lambda d: True, within=45)
        assert [d["why"] for d in bot.events("avatar.released")] == ["room_empty"]
