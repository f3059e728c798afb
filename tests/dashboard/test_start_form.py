"""The start-session form: rows of rooms added and removed, the API's validation messages beside the fields
they name, then a session started that opens its live monitor; and the 'create a meeting' path."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.dashboard.conftest import DashboardServer
from tests.dashboard.pages import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_validation_messages_beside_the_fields_then_a_session_starts(
    signed_in: Dashboard, server: DashboardServer, page: Page
) -> None:
    form = await signed_in.open_new_session()
    await form.existing_meeting("12 34", passcode="this-passcode-is-too-long")
    await form.professor("Prof. Ada Lovelace", "bad avatar id!")
    await form.course("CS 101")
    await form.rooms([("Room 1", "Grace"), ("room 1", "Alan"), ("Room 3", "")])
    await form.submit()

    await form.expect_error("meeting.number", "A Zoom meeting number has 9 to 11 digits")
    await form.expect_error("meeting.passcode", "Must be at most 10 characters")
    await form.expect_error("professor.avatar_id", "Use only letters, digits")
    await form.expect_error("rooms[2].student.name", "Must not be empty.")
    await expect(form.input_for("meeting.number")).to_have_attribute("aria-invalid", "true")
    await expect(form.problems).to_contain_text("problems to fix")
    await expect(form.input_for("meeting.number")).to_be_focused()
    await expect(form.error_for("course.name")).to_be_hidden()
    assert "start_session" not in server.farm.names()

    # Fix those; the duplicate room name (a rule over the whole list) shows beside the rooms.
    await form.existing_meeting("857 4606 5432", passcode="x7Yq2")
    await form.professor("Prof. Ada Lovelace", "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a")
    await form.room(2, "Room 3", "Katherine")
    await form.submit()
    await form.expect_error("rooms", "Room names must be unique: 'room 1' appears more than once.")
    await expect(form.error_for("meeting.number")).to_be_hidden()

    # Remove the duplicate (the second row); the others renumber.
    await form.remove_room(1)
    await expect(form.rows.nth(1).get_by_label("Room name")).to_have_value("Room 3")
    monitor = await form.submit_and_open()
    await expect(monitor.cards).to_have_count(2)
    await expect(monitor.room("Room 3").student).to_have_text("Katherine")
    assert server.farm.calls_named("start_session") == [(monitor.session_id,)]
    stored = await server.repository.get_session(monitor.session_id)
    assert stored is not None and stored.meeting.number == "85746065432" and stored.meeting.passcode == "x7Yq2"


async def test_create_a_meeting_needs_a_topic(signed_in: Dashboard, server: DashboardServer) -> None:
    form = await signed_in.open_new_session()
    await form.create_meeting("")
    await form.professor("Prof. Ada Lovelace", "avatar-1")
    await form.course("CS 101")
    await form.rooms([("Room 1", "Grace")])
    await form.submit()
    await form.expect_error("meeting", "A meeting to create needs a topic.")
    await form.create_meeting("CS 101 office hours")
    session_id = (await form.submit_and_open()).session_id
    stored = await server.repository.get_session(session_id)
    assert stored is not None and stored.meeting.create and stored.meeting.topic == "CS 101 office hours"
    sessions = await signed_in.open_sessions()
    await expect(sessions.row(session_id)).to_contain_text("CS 101 office hours")
