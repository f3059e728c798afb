"""The room grid follows a room through its life without a reload — join, live, crash, recovered, ended — in
the right colours, with thumbnails, indicators, time in the room, credits and the summary bar; and names
with markup or script in them show as text."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from state.models import AvatarSessionStatus, RoomStatus, TranscriptRole
from state.vocabulary import reason_words
from tests.dashboard.conftest import DashboardServer
from tests.dashboard.pages import Dashboard
from tests.dashboard.thumbnails import Look, avatar_thumbnails

ERROR_COLOUR = "rgb(127, 29, 29)"  # dashboard.css: a failed room's reason

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_colours_through_join_live_crash_recovery_and_end(
    signed_in: Dashboard, server: DashboardServer, chromium: Browser
) -> None:
    session = await server.create_session([("Room A", "Grace"), ("Room B", "Alan")])
    ids = await server.room_ids(session)
    farm = server.farm
    frames = await avatar_thumbnails(chromium, [Look("Prof. Ada"), Look("Prof. Ada", speaking=True, caption="Hi")])
    monitor = await signed_in.open_session(session["id"])
    await monitor.expect_live_updates()
    room = monitor.room("Room A")
    other = monitor.room("Room B")
    await expect(room.student).to_have_text("Grace")
    await expect(room.student_label).to_have_text("Expected student:")  # nobody is there yet
    await room.expect_state("queued", "yellow", "Queued")
    await expect(room.no_picture).to_be_visible()

    # Joining: yellow all the way, the waiting room in words.
    await farm.join(ids["Room A"], until=RoomStatus.waiting_room)
    await room.expect_state("waiting_room", "yellow", "In the waiting room")
    await expect(room.time_in_room).to_be_hidden()  # no avatar live, so no "live for"

    # Waiting as it should through the lecture, nothing billed: blue.
    await farm.set_status(ids["Room A"], RoomStatus.in_main_session)
    await room.expect_state("in_main_session", "blue", "Waiting in the main session")

    # Live with the avatar: green, thumbnail, indicators, usage, summary.
    await farm.join_rest(ids["Room A"])
    farm.heartbeat(ids["Room A"], thumbnail=frames[0], talking=False)
    await farm.bill(ids["Room A"], minutes=1.5, credits=3.0)
    await room.expect_state("live", "green", "Live with avatar")
    await room.expect_avatar(True)
    await room.expect_talking(False)
    first_thumbnail = await room.expect_thumbnail_loaded()
    await expect(room.credits).to_have_text("3.00")
    await expect(room.time_in_room).to_have_text(re.compile(r"^\d+:\d\d$"))
    await expect(room.student_label).to_have_text("Student:")
    await monitor.expect_summary("rooms", "1 / 2")
    await monitor.expect_summary("avatars", "1")
    await monitor.expect_summary("credits", "3.00")
    await monitor.expect_summary("minutes", "1.5")
    await monitor.expect_summary("budget", "no limit")

    # A new heartbeat: the avatar talks, a new thumbnail replaces the old one.
    farm.heartbeat(ids["Room A"], thumbnail=frames[1], talking=True)
    await room.expect_talking(True)
    await expect(room.thumbnail).not_to_have_attribute("src", first_thumbnail, timeout=20_000)
    await room.expect_thumbnail_loaded()

    # Live, but the avatar's picture is gone: yellow, "no avatar".
    farm.heartbeat(ids["Room A"], avatar_ready=False)
    await room.expect_state("live", "yellow", "Live, no avatar")
    await room.expect_avatar(False)
    farm.heartbeat(ids["Room A"], avatar_ready=True)
    await room.expect_colour("green")

    # The room goes quiet: the avatar is paused (blue), with why in words; a student speaks, it is back.
    await farm.stop_avatar(ids["Room A"], status=AvatarSessionStatus.stopped, reason="idle")
    await farm.set_status(ids["Room A"], RoomStatus.idle, reason="idle", reason_text=reason_words("idle"))
    await room.expect_state("idle", "blue", "Avatar paused")
    await expect(room.reason).to_contain_text("Nobody spoke for a while")
    await expect(room.reason).not_to_have_css("color", ERROR_COLOUR)  # a pause is news, not an error
    await farm.start_avatar(ids["Room A"])
    await farm.set_status(ids["Room A"], RoomStatus.live)
    await room.expect_state("live", "green", "Live with avatar")

    # Waiting for what only the host or the professor can do: said in words, asking for its room included.
    for status, reason, words in (
        (RoomStatus.in_main_session, "waiting_for_assignment", reason_words("waiting_for_assignment")),
        (RoomStatus.joining_breakout, "waiting_for_assignment", reason_words("waiting_for_assignment")),
        (RoomStatus.recovering, "waiting_for_professor", reason_words("waiting_for_professor")),
    ):
        await farm.set_status(ids["Room A"], status, reason=reason, reason_text=words)
        await expect(room.reason).to_have_text(words)
    await farm.set_status(ids["Room A"], RoomStatus.starting)  # a room waiting without a bot gets one first
    await farm.set_status(ids["Room A"], RoomStatus.live)
    await expect(room.reason).to_be_hidden()

    # The browser crashes: red, with the reason in words.
    await farm.crash(ids["Room A"])
    await room.expect_state("failed", "red", "Failed")
    await expect(room.reason).to_have_text("The bot's browser crashed; no retries left.")
    await expect(room.reason).to_have_css("color", ERROR_COLOUR)
    await expect(room.no_picture).to_be_visible()
    await monitor.expect_summary("rooms", "0 / 2")

    # Recovered: a new bot, live again, green again, reason gone.
    await farm.recover(ids["Room A"])
    farm.heartbeat(ids["Room A"], thumbnail=frames[0])
    await room.expect_state("live", "green", "Live with avatar")
    await expect(room.reason).to_be_hidden()
    await room.expect_thumbnail_loaded()

    # The other room stays queued and yellow all along.
    await other.expect_state("queued", "yellow")

    # The session ends (here over REST, from another client): every room grey, the session ended.
    assert (await server.client.delete(f"/api/sessions/{session['id']}")).status_code == 202
    await room.expect_state("ended", "grey", "Ended")
    await other.expect_state("ended", "grey", "Ended")
    await monitor.expect_session_status("ended")
    await expect(monitor.page.get_by_role("button", name="End session")).to_be_disabled()
    await monitor.expect_summary("rooms", "0 / 2")


async def test_hostile_names_render_as_text(signed_in: Dashboard, server: DashboardServer, page: Page) -> None:
    script_room = "<script>window.__pwned = 'room'</script>"
    image_student = "<img src=x onerror=\"window.__pwned = 'student'\">"
    bold_student = '"><b class="injected">bold</b>'
    professor = "<img src=x onerror=\"window.__pwned='professor'\">Prof. X"
    course = "<svg onload=\"window.__pwned='course'\"></svg>CS 101"
    session = await server.create_session(
        [(script_room, image_student), ("Room &amp; 2", bold_student)],
        professor={"name": professor, "avatar_id": "avatar-1"},
        course={"name": course, "context": ""},
    )
    ids = await server.room_ids(session)
    await server.farm.join(ids[script_room])
    spoken = "<iframe src=javascript:window.__pwned='transcript'></iframe> hi"
    await server.farm.transcript(ids[script_room], professor, TranscriptRole.avatar, spoken)
    await server.farm.crash(ids["Room &amp; 2"], reason="kicked", reason_text="<i>removed</i> by the host")

    sessions = await signed_in.open_sessions()
    await expect(sessions.row(session["id"]).locator(".professor")).to_have_text(professor)
    await expect(sessions.row(session["id"]).get_by_role("link")).to_have_text(course)
    monitor = await sessions.open(session["id"])
    await expect(page.locator("h1")).to_have_text(course)
    await expect(page.locator(".session-meta .professor")).to_have_text(professor)
    room = monitor.room(script_room)
    await expect(room.name).to_have_text(script_room)
    await expect(room.student).to_have_text(image_student)
    second = monitor.room("Room &amp; 2")
    await expect(second.student).to_have_text(bold_student)
    await expect(second.reason).to_have_text("<i>removed</i> by the host")
    await room.expand()
    await room.expect_transcript_line(spoken)
    await room.expect_timeline_entry(spoken)

    assert await page.evaluate("window.__pwned") is None
    for selector in ("#main script", "#main img:not(.thumb-img)", "#main iframe", "#main svg", ".injected", "#main i"):
        assert await page.locator(selector).count() == 0, selector
