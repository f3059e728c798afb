"""Every refusal and closing reason of the fake Zoom shows up as the bot's state and reason, in words, once:
the page never retries (the farm decides)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.bot_page.harness import Bot, Stack, running_stack, wait_until
from tests.fakes_zoom.harness import PROFESSOR, meeting_jwt
from tests.support.polling import until

pytestmark = pytest.mark.browser

BOT = "Prof. Ada (AI) · Room 1"


@dataclass
class Refusal:
    reason: str
    words: str
    meeting: dict[str, Any] = field(default_factory=dict)
    bot: dict[str, Any] = field(default_factory=dict)
    obf: str | None = None  # "professor": a real OBF token of the professor; otherwise a literal token


REFUSALS = [
    Refusal("bad_signature", "signature", bot={"signature": "wrong-secret"}),
    Refusal("bad_passcode", "passcode", bot={"passcode": "not-it"}),
    Refusal("meeting_not_started", "not started", meeting={"started": False, "join_before_host": False, "host": False}),
    Refusal("meeting_not_found", "no zoom meeting", bot={"number": "99999999999"}),
    Refusal("blocked_as_bot", "automated", meeting={"block_bots": True}),
    Refusal("obf_required", "connect their own zoom", meeting={"external_account": True}),
    Refusal("obf_invalid", "obf", meeting={"external_account": True}, obf="not-a-real-obf-token"),
    Refusal("authorizer_absent", "not in the meeting", meeting={"external_account": True}, obf="professor"),
    # Refusals the served bundle has, forced by the fake with the codes and words it gives them.
    Refusal("sdk_outdated", "upgrade @zoom/meetingsdk", meeting={"force_join_error": 10000}),
    Refusal("zoom_recaptcha", "recaptcha", meeting={"force_join_error": 3634}),
    Refusal("sign_in_required", "signed-in zoom users", meeting={"force_join_error": 3100}),
    Refusal("sign_in_required", "require login", meeting={"force_join_error": 3082}),
    Refusal("information_barrier", "information barriers", meeting={"force_join_error": 4007}),
    Refusal("participant_exists", "already in the meeting", meeting={"force_join_error": 4008}),
    Refusal("removed", "removed the bot from this meeting", meeting={"force_join_error": 3009}),
    Refusal("app_blocked", "blocked or deactivated", meeting={"force_join_error": 3710}),
]


async def _refused(stack: Stack, case: Refusal) -> Bot:
    number = await stack.meeting(**case.meeting)
    target = case.bot.get("number", number)
    signature = None
    if case.bot.get("signature") == "wrong-secret":
        signature = meeting_jwt(target, secret="a-different-secret-of-32-characters")
    elif "number" in case.bot:
        signature = meeting_jwt(target)
    obf = await stack.zoom.user_token(PROFESSOR) if case.obf == "professor" else case.obf
    return await stack.launch_bot(
        target, passcode=case.bot.get("passcode", "pw123"), signature=signature, obf_token=obf
    )


async def test_join_refusals_become_reasons(tmp_path: Path) -> None:
    mismatches = []
    async with running_stack(tmp_path) as stack:
        for case in REFUSALS:
            bot = await _refused(stack, case)
            failed = await bot.wait_state("failed", within=45)
            text = str(failed["reason_text"]).lower()
            if failed["reason"] != case.reason or case.words not in text:
                mismatches.append((case.reason, failed["reason"], failed["reason_text"]))
            if bot.states().count("joining") != 1:
                mismatches.append((case.reason, "joined more than once", bot.states()))
            status = await bot.call("() => window.avatarfarm.status()")
            assert status["avatar"]["ready"] is False  # the avatar is stopped on failure
            await bot.browser.close()
    assert not mismatches, mismatches


async def _in_main(stack: Stack, **meeting: Any) -> tuple[str, Bot]:
    number = await stack.meeting(**meeting)
    bot = await stack.launch_bot(number)
    await bot.wait_state("in_main_session")
    return number, bot


async def test_closing_reasons(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        number, bot = await _in_main(stack)
        await stack.zoom.post(f"/fake/meetings/{number}/kick", name=BOT)
        kicked = await bot.wait_state("failed", within=30)
        assert kicked["reason"] == "kicked" and "host removed" in kicked["reason_text"]

        number, bot = await _in_main(stack)
        await stack.zoom.post(f"/fake/meetings/{number}/end")
        ended = await bot.wait_state("failed", within=30)
        assert ended["reason"] == "meeting_ended" and "ended the meeting" in ended["reason_text"]

        number = await stack.meeting(external_account=True)
        professor = await stack.zoom.add_virtual(number, name="Prof. Ada Lovelace", zoom_user_id=PROFESSOR)
        bot = await stack.launch_bot(number, obf_token=await stack.zoom.user_token(PROFESSOR))
        await bot.wait_state("in_main_session")
        response = await stack.zoom.admin.delete(f"/fake/meetings/{number}/participants/{professor}")
        assert response.status_code in (200, 204), response.text
        left = await bot.wait_state("failed", within=30)
        assert left["reason"] == "authorizer_left" and "left the meeting" in left["reason_text"]


async def test_waiting_room_admit_and_send_back(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        number = await stack.meeting(waiting_room=True)
        bot = await stack.launch_bot(number)
        await bot.wait_state("waiting_room")
        assert "in_main_session" not in bot.states()
        await stack.zoom.post(f"/fake/meetings/{number}/admit", name=BOT)
        await bot.wait_state("in_main_session")
        await stack.zoom.post(f"/fake/meetings/{number}/hold", name=BOT)
        await wait_until(lambda: bot.states().count("waiting_room") == 2, 30, lambda: f"sent back: {bot.states()}")
        assert bot.states()[-1] == "waiting_room"
        assert any(d.get("reason") == "on hold" for d in bot.events("meeting.connection"))


async def test_leave_ends_cleanly_and_stops_the_avatar(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        number = await stack.meeting(breakout_options={"isAutoJoinRoom": True})
        await stack.zoom.add_virtual(number, name="Alan")
        bot = await stack.launch_bot(number)
        await bot.wait_state("in_main_session")
        for name in (BOT, "Alan"):
            await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name=name, room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        await bot.wait_state("live")
        status = await bot.call("() => window.avatarfarm.leave()")
        assert status["state"] == "ended" and status["avatar"]["ready"] is False
        assert bot.states()[-2:] == ["leaving", "ended"]
        person_names = [p["name"] for p in (await stack.zoom.roster(number))["participants"]]
        assert BOT not in person_names

        # The LiveAvatar SDK's stop() does not wait for its own stop request (it calls its cleanup without await,
        # lib/index.esm.js), so leave() returns before LiveAvatar has heard it: the vendor's record is awaited.
        async def ended_by_the_page() -> bool:
            session = await stack.liveavatar.session(bot.vendor_session_id)
            return session.end_reason == "USER_CLOSED"

        await until(ended_by_the_page, 10, "LiveAvatar to record the page's stop")
