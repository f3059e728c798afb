"""Each control of an expanded room reaches the farm (say, interrupt, restart, leave, instructions); refusals
show the API's words; ending the session asks for confirmation first."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from state.models import RoomStatus, TranscriptRole
from tests.dashboard.conftest import DashboardServer
from tests.dashboard.pages import TIMEOUT_MS, Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_every_control_reaches_the_farm(signed_in: Dashboard, server: DashboardServer) -> None:
    session = await server.create_session([("Room 1", "Grace"), ("Room 2", "Alan")])
    ids = await server.room_ids(session)
    farm = server.farm
    await farm.join(ids["Room 1"])
    monitor = await signed_in.open_session(session["id"])
    await monitor.expect_live_updates()
    room = monitor.room("Room 1")
    await room.expect_colour("green")
    await room.expand()

    await room.say("Let us look at your base case.")
    assert farm.calls_named("say") == [(ids["Room 1"], "Let us look at your base case.")]
    await expect(room.locator.get_by_label("Say (the avatar speaks it word for word)")).to_have_value("")
    await room.expect_timeline_entry("Command: say “Let us look at your base case.”")

    await room.interrupt()
    assert farm.calls_named("interrupt") == [(ids["Room 1"],)]

    await room.update_instructions("Focus on recursion depth.")
    assert farm.calls_named("update_context") == [(ids["Room 1"], "Focus on recursion depth.")]
    await room.expect_timeline_entry("Instructions updated (25 characters)")

    await room.restart()
    assert farm.calls_named("restart_room") == [(ids["Room 1"],)]

    # The live transcript grows while the room is open.
    await farm.transcript(ids["Room 1"], "Grace", TranscriptRole.student, "Is n == 0 the base case?")
    await room.expect_transcript_line("Grace: Is n == 0 the base case?")

    # The timeline speaks the real farm's events in words, and leaves the bot page's console lines out.
    await server.repository.events.append("bot.page.console", room_id=ids["Room 1"], detail={"text": "console noise"})
    await server.repository.events.append("avatar.dropped", room_id=ids["Room 1"], detail={"reason": "vendor_timeout"})
    await room.expect_timeline_entry("Avatar dropped: vendor_timeout; restarting it")
    await expect(room.timeline.filter(has_text="console noise")).to_have_count(0)

    await room.leave()
    assert farm.calls_named("leave_room") == [(ids["Room 1"],)]
    await room.expect_state("ended", "grey")
    await expect(room.reason).to_have_text("The professor asked the bot to leave.")

    # A room that is not live: the API's refusal, in words, and nothing reaches the farm.
    other = monitor.room("Room 2")
    await other.say("Hello?", expect_sent=False)
    await expect(other.control_status).to_contain_text("has no live avatar yet", timeout=TIMEOUT_MS)
    await other.interrupt(expect_sent=False)
    await expect(other.control_status).to_contain_text("has no live avatar yet", timeout=TIMEOUT_MS)
    assert len(farm.calls_named("say")) == 1 and len(farm.calls_named("interrupt")) == 1
    # An empty say is refused by validation, with its message.
    await other.say("", expect_sent=False)
    await expect(other.control_status).to_have_text("Must not be empty.", timeout=TIMEOUT_MS)


async def test_end_session_asks_for_confirmation(signed_in: Dashboard, server: DashboardServer, page: Page) -> None:
    session = await server.create_session(3)
    ids = list((await server.room_ids(session)).values())
    await server.farm.join(ids[0])
    await server.farm.join(ids[1], until=RoomStatus.waiting_room)
    monitor = await signed_in.open_session(session["id"])
    await monitor.expect_live_updates()

    await monitor.end_session(confirm=False)
    await expect(page.get_by_role("button", name="End session")).to_be_focused()
    assert "end_session" not in server.farm.names()
    await monitor.expect_session_status("active")

    # Escape closes the dialog without ending, like "Keep it running".
    await page.get_by_role("button", name="End session").click()
    await expect(page.get_by_role("dialog")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("dialog")).to_be_hidden()
    assert "end_session" not in server.farm.names()

    await monitor.end_session(confirm=True)
    await monitor.expect_session_status("ended")
    assert server.farm.calls_named("end_session") == [(session["id"],)]
    for room_id in ids:
        await monitor.room_by_id(room_id).expect_state("ended", "grey")
    await expect(page.get_by_role("button", name="End session")).to_be_disabled()
