"""Zoom behaviour the adapter must live with, from the fake Zoom's meeting options: breakout getters that answer
undefined while the bot moves between rooms."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot_page.harness import running_stack, wait_until

pytestmark = pytest.mark.browser

BOT = "Prof. Ada (AI) · Room 1"


async def test_undefined_breakout_getters_mid_move(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        number = await stack.meeting(
            breakout_options={"isAutoJoinRoom": True, "isBackToMainSessionEnabled": True},
            breakout_getters_gap_ms=2500,
        )
        await stack.zoom.add_virtual(number, name="Alan")
        bot = await stack.launch_bot(number)
        await bot.wait_state("in_main_session")

        # Into the room and back: the getters answer undefined for 2.5 s each time, the phase holds.
        for name in (BOT, "Alan"):
            await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name=name, room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        await bot.wait_state("live", within=60)
        after_join = bot.states()[bot.states().index("in_main_session") + 1 :]
        assert "in_main_session" not in after_join, bot.states()
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/close", wait_seconds=0)
        await wait_until(
            lambda: bot.states()[-1] == "in_main_session", 30, lambda: f"back in the main session: {bot.states()}"
        )
        tail = bot.states()[bot.states().index("live") :]
        assert tail[-1] == "in_main_session" and "in_room" not in tail[1:-1], tail
        # The page reports the release beside its move back; the two may arrive in either order.
        await wait_until(
            lambda: bool(bot.events("avatar.released")), 10, lambda: f"the avatar released: {bot.states()}"
        )
        [released] = bot.events("avatar.released")
        assert released["why"] in ("left_room", "rooms_closing")
