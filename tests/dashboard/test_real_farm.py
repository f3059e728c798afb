"""The dashboard in front of the real farm on the fakes: a room's colour follows it through joining, live,
a browser crash, recovery and the end; a refused room is red with the reason in words; controls act."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.bench.process_stats import bot_trees
from tests.dashboard.pages import Dashboard
from tests.farm.harness import TOKEN, running_farm

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SLOW_MS = 90_000


async def test_colours_and_controls_with_the_real_farm(tmp_path: Path, page: Page) -> None:
    async with running_farm(tmp_path) as stack:
        dashboard = Dashboard(page, str(stack.client.base_url).rstrip("/"))
        await dashboard.sign_in(TOKEN)
        number = await stack.meeting(["Room 1"])
        created = await stack.start(number, ["Room 1"])
        monitor = await dashboard.open_session(created["id"])
        room = monitor.room("Room 1")
        await room.expect_colour("yellow", within_ms=SLOW_MS)  # on its way
        await room.expect_state("live", "green", "Live with avatar", within_ms=SLOW_MS)
        await room.expect_avatar(True, within_ms=SLOW_MS)
        await room.expect_thumbnail_loaded(within_ms=SLOW_MS)
        await monitor.expect_summary("rooms", "1 / 1", within_ms=SLOW_MS)

        await room.say("What is a base case in recursion?")
        await expect(room.locator.locator(".transcript")).to_contain_text("base case", timeout=SLOW_MS)

        [tree] = bot_trees()
        os.kill(tree[0], signal.SIGKILL)
        # The farm relaunches at once: the card goes yellow (recovering, then the new bot's steps), then green.
        await room.expect_colour("yellow", within_ms=SLOW_MS)
        await room.expect_state("live", "green", within_ms=SLOW_MS)
        await expect(room.locator.locator(".timeline")).to_contain_text("crashed", timeout=SLOW_MS)

        await monitor.end_session(confirm=True)
        await room.expect_state("ended", "grey", within_ms=SLOW_MS)
        await monitor.expect_session_status("ended", within_ms=SLOW_MS)

        refused_meeting = await stack.meeting(["Room 1"], block_bots=True)
        refused = await stack.start(refused_meeting, ["Room 1"])
        monitor = await dashboard.open_session(refused["id"])
        card = monitor.room("Room 1")
        await card.expect_state("failed", "red", within_ms=SLOW_MS)
        await expect(card.locator).to_contain_text("does not allow automated participants", timeout=SLOW_MS)
