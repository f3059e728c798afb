"""The host records the meeting: the bot consents with "Got it" (never "Leave Meeting") as it joins a meeting
already being recorded and when recording starts later, reports `meeting.recording`, and its media comes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot_page.harness import running_stack, wait_until

pytestmark = pytest.mark.browser

BOT = "Prof. Ada (AI) · Room 2"


async def test_the_bot_consents_to_recording_and_stays(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        number = await stack.meeting()
        await stack.zoom.post(f"/fake/meetings/{number}/recording", status="Recording")
        late = await stack.launch_bot(number, room="Room 2")
        await late.wait_state("in_main_session")
        await late.wait_event("meeting.recording", lambda d: d.get("consented") is True, within=30)
        assert {"label": "Got it"} in late.events("meeting.button")
        assert {"label": "Leave Meeting"} not in late.events("meeting.button")

        async def consented_with_media() -> bool:
            person = await stack.zoom.person(number, BOT)
            return bool(person["recording_consent"] and person["audio"] == "computer" and person["video"])

        for _ in range(150):
            if await consented_with_media():
                break
            await late.call("() => new Promise((r) => setTimeout(r, 200))")
        assert await consented_with_media(), await stack.zoom.person(number, BOT)

        # Recording stops and starts again: the bot hears of it and stays in the meeting.
        await stack.zoom.post(f"/fake/meetings/{number}/recording", status="Stopped")
        await stack.zoom.post(f"/fake/meetings/{number}/recording", status="Recording")
        await wait_until(
            lambda: (
                [d["status"] for d in late.events("meeting.recording") if "consented" not in d][-2:]
                == ["Stopped", "Recording"]
            ),
            30,
            lambda: f"recording changes; saw {late.events('meeting.recording')}",
        )
        assert late.states()[-1] == "in_main_session" and "failed" not in late.states()
