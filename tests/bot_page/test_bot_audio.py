"""The bot joins the meeting's computer audio by the toolbar titles Component View draws (the fake draws them as
the served bundle does, see tests/fakes_zoom/test_toolbar_contract.py), checks with getCurrentUser().audio that
Zoom connected it, says so in words when it did not, and notices a live room whose audio does not flow."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from farm.room.bot_page_config import PageTimings
from tests.bot_page.harness import Bot, running_stack, wait_until

pytestmark = pytest.mark.browser

BOT = "Prof. Ada (AI) · Room 1"

OPEN_SETTINGS = """() => {
  [...document.querySelectorAll('#zoom-root button')].find((b) => b.title === 'More').click();
  [...document.querySelectorAll('#zoom-root [role=menuitem]')].find((e) => e.textContent === 'Settings').click();
  return [...document.querySelectorAll('#zoom-root [role=tab]')].map((t) => t.textContent);
}"""


async def test_the_bot_joins_computer_audio_by_the_audio_buttons_title(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        # Computer audio cannot start at first; the Settings panel, with its own "Audio" tab, is open meanwhile.
        number = await stack.meeting(computer_audio_fails=True)
        bot = await stack.launch_bot(number)
        await bot.wait_state("in_main_session")
        await bot.wait_event("meeting.button", lambda d: d["label"] == "Audio")
        assert await bot.call(OPEN_SETTINGS) == ["Video", "Audio", "Statistics"]
        assert (await stack.zoom.person(number, BOT))["audio"] == ""
        response = await stack.zoom.admin.patch(f"/fake/meetings/{number}", json={"computer_audio_fails": False})
        assert response.status_code == 200, response.text
        await bot.wait_event("meeting.audio_joined", lambda d: d["audio"] == "computer", within=30)
        seen: dict[str, object] = {}

        async def muted_with_audio() -> bool:
            seen.update(await stack.zoom.person(number, BOT))
            return seen["audio"] == "computer" and seen["muted"] is True  # joined, and muted outside its room

        for _ in range(100):
            if await muted_with_audio():
                break
            await asyncio.sleep(0.2)
        assert await muted_with_audio(), seen
        assert {d["label"] for d in bot.events("meeting.button")} <= {"Audio", "Start Video", "Mute"}
        assert "failed" not in bot.states()


async def test_audio_that_never_joins_fails_in_words(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        number = await stack.meeting(computer_audio_fails=True)
        bot = await stack.launch_bot(number, timings=PageTimings(audio_join_ms=3000))
        failed = await bot.wait_state("failed", within=45)
        assert failed["reason"] == "audio_not_joined"
        assert "could not join the meeting's audio" in failed["reason_text"]
        assert 'Zoom did not connect computer audio within 3 s of pressing "Audio"' in failed["reason_text"]


async def test_a_webinar_attendee_bot_presses_join_audio(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        number = await stack.meeting(webinar=True)
        bot = await stack.launch_bot(number)
        await bot.wait_state("in_main_session")
        await bot.wait_event("meeting.audio_joined", lambda d: d["audio"] == "computer", within=30)
        assert {"label": "Join Audio"} in bot.events("meeting.button")
        assert {"label": "Audio"} not in bot.events("meeting.button")


async def test_a_live_room_that_hears_nothing_is_said_repaired_once_then_given_up(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        # Zoom shows Grace speaking, but its audio never sounds in the bot's page.
        number = await stack.meeting(audio_playback="silent")
        bot = await stack.launch_bot(number)
        await bot.wait_state("in_main_session")
        await stack.student(number, "Grace", room="Room 1", says="what is a base case in recursion")
        for name in (BOT, "Grace"):
            await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name=name, room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        await bot.wait_state("live", within=90)
        await bot.wait_event("meeting.audio_silent", lambda d: d["direction"] == "in", within=60)
        [said] = bot.events("meeting.audio_silent")
        assert said["repair"] == "rejoin_audio" and "Grace" in said["words"]
        # The rejoin changes nothing here: Zoom keeps naming Grace, nothing is heard, the bot gives up.
        await wait_until(lambda: "failed" in bot.states(), 60, lambda: f"failed; saw {bot.states()}")
        failed = bot.last_state()
        assert failed["reason"] == "meeting_audio_silent"
        assert "no meeting audio reached the avatar" in failed["reason_text"]


# About 20 s of speech: long enough for both 5 s windows (the first, then one after the repair).
LONG = (
    "Let us think about recursion together. A recursive function solves a problem by calling itself on a smaller "
    "version of the same problem, and it needs a base case that stops the calls. Without a base case the calls "
    "would go on for ever, each one waiting for the next, until the call stack runs out of room. So whenever you "
    "write one, first ask yourself which input is so small that you know the answer straight away."
)


async def test_an_avatar_whose_voice_cannot_leave_through_zoom_is_said_repaired_once_then_given_up(
    tmp_path: Path,
) -> None:
    async with running_stack(tmp_path) as stack:
        # Rooms that people join as they are assigned (the virtual student below has no client to accept).
        number = await stack.meeting(breakout_options={"isAutoJoinRoom": True})
        bot = await stack.launch_bot(number, timings=PageTimings(audio_join_ms=120_000))
        await bot.wait_state("in_main_session")
        # A student without a microphone: a browser student's fake microphone beeps, and the avatar would stop
        # talking to listen (barge-in), cutting the speech this test needs.
        await stack.zoom.add_virtual(number, name="Grace")
        for name in (BOT, "Grace"):
            await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name=name, room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        await bot.wait_state("live", within=90)
        await bot.wait_event("meeting.audio_joined", lambda d: True)
        # The bot's computer audio drops (as when its audio device fails) and cannot come back.
        response = await stack.zoom.admin.patch(f"/fake/meetings/{number}", json={"computer_audio_fails": True})
        assert response.status_code == 200, response.text
        await bot.call("() => ZoomMtgEmbedded.createClient().stopAudio()")
        await _say_when_quiet(bot, LONG)
        await bot.wait_event("meeting.audio_silent", lambda d: d["direction"] == "out", within=60)
        [said] = bot.events("meeting.audio_silent")
        assert "without computer audio" in said["words"] and said["repair"] == "rejoin_audio"
        # The rejoin cannot bring the audio back: 5 s more of talking into nothing, and the bot gives up.
        await wait_until(lambda: "failed" in bot.states(), 60, lambda: f"failed; saw {bot.states()}")
        failed = bot.last_state()
        assert failed["reason"] == "meeting_audio_silent" and "the avatar talked for 5 s" in failed["reason_text"]


async def _say_when_quiet(bot: Bot, text: str) -> None:
    """The avatar says `text` once it has finished what it was saying (its opening line, say)."""
    for _ in range(300):
        if not (await bot.call("() => window.avatarfarm.status()"))["avatar"]["talking"]:
            break
        await asyncio.sleep(0.1)
    await bot.call("(text) => window.avatarfarm.say(text)", text)
