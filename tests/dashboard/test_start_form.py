"""The start-session form: rows of rooms added and removed, the API's validation messages beside the fields
they name, then a session started that opens its live monitor; the 'create a meeting' path; and the avatar and
voice picked from the LiveAvatar account's lists (the fake LiveAvatar on loopback), with preview images."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Page, expect

from api.app import create_app
from state.professors_repository import ADMIN_ID
from state.repository import Repository
from tests.api.conftest import TOKEN, make_settings
from tests.dashboard.conftest import LOOP, DashboardServer
from tests.dashboard.farm import ScriptedFarm
from tests.dashboard.pages import Dashboard
from tests.dashboard.stream_cutter import StreamCutter
from tests.farm.harness import LA_API_KEY, liveavatar_server
from tests.support.servers import serve_app

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

ADA = "3b8f0c1e-5a52-4f43-a0a4-6e6f1c2d9b10"
MARCUS_VOICE = "c2f5e0d9-1b44-4c57-9e4b-0b6d7a8e3c33"
UNKNOWN = "0b8f1c2e-5a52-4f43-a0a4-6e6f1c2d9b99"


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
    stored = await server.repository.sessions.get(monitor.session_id)
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
    await form.submit()  # avatarfarm creates it with the professor's own Zoom, not connected yet
    await form.expect_error("meeting", "you have not connected it yet")
    await server.repository.zoom_grants.save(
        professor_id=ADMIN_ID,
        user_id="zoom-admin",
        email=None,
        refresh_token="r",
        access_token=None,
        access_expires_at=None,
    )
    session_id = (await form.submit_and_open()).session_id
    stored = await server.repository.sessions.get(session_id)
    assert stored is not None and stored.meeting.create and stored.meeting.topic == "CS 101 office hours"
    sessions = await signed_in.open_sessions()
    await expect(sessions.row(session_id)).to_contain_text("CS 101 office hours")
    await server.repository.zoom_grants.forget(ADMIN_ID)  # the server is shared with the other tests


@pytest_asyncio.fixture(loop_scope=LOOP)
async def with_liveavatar(tmp_path: Path) -> AsyncIterator[DashboardServer]:
    """The dashboard's server with the fake LiveAvatar as the account (the default server has none reachable)."""
    async with liveavatar_server() as (la_url, _):
        settings = make_settings(tmp_path, liveavatar_api_base=la_url, liveavatar_api_key=LA_API_KEY)
        farms: list[ScriptedFarm] = []

        def factory(repository: Repository, *_: Any) -> ScriptedFarm:
            farms.append(ScriptedFarm(repository))
            return farms[-1]

        app = create_app(settings, farm_factory=factory)
        cutter = StreamCutter(app)
        async with serve_app(cutter) as running:
            async with httpx.AsyncClient(
                base_url=running.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
            ) as client:
                yield DashboardServer(running.base_url, app, settings, farms[0], cutter, client)


async def test_the_professor_picks_an_avatar_and_a_voice_with_pictures(
    with_liveavatar: DashboardServer, page: Page
) -> None:
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security" in message.text else None)
    dashboard = Dashboard(page, with_liveavatar.base_url)
    await dashboard.sign_in(with_liveavatar.token)
    form = await dashboard.open_new_session()

    avatars = page.get_by_role("radiogroup", name="Avatar")
    await expect(avatars.get_by_role("radio")).to_have_count(4)
    await expect(avatars.get_by_role("radio", name="Nova")).to_be_disabled()
    pictures = avatars.locator("img")
    await expect(pictures).to_have_count(4)
    for index in range(4):
        picture = pictures.nth(index)
        await picture.scroll_into_view_if_needed()
        assert (await picture.get_attribute("src") or "").startswith("/api/liveavatar/avatars/")
        await expect(picture).to_have_js_property("complete", True)
        assert await picture.evaluate("(img) => img.naturalWidth") > 0

    assert LA_API_KEY not in await page.content()

    await avatars.get_by_role("radio", name="Ada").check()
    await expect(page.get_by_label("Avatar id")).to_have_value(ADA)
    voice = page.get_by_label("Voice", exact=True)
    await expect(voice.locator("option").first).to_have_text("The avatar's own voice (Ada (espeak en-gb))")
    await voice.select_option(label="Marcus (espeak en-us) · en")
    await expect(page.get_by_label("Voice id")).to_have_value(MARCUS_VOICE)

    # A typed id the account does not have: the API's words beside the field, nothing stored.
    await form.existing_meeting("857 4606 5432", passcode="x7Yq2")
    await page.get_by_label("Name", exact=True).fill("Prof. Ada Lovelace")
    await form.course("CS 101")
    await form.rooms([("Room 1", "Grace")])
    await page.get_by_label("Avatar id").fill(UNKNOWN)
    await expect(avatars.get_by_role("radio", name="Ada")).not_to_be_checked()
    await form.submit()
    await form.expect_error("professor.avatar_id", f"LiveAvatar does not know the avatar '{UNKNOWN}'")
    assert await with_liveavatar.repository.sessions.all(limit=10) == []

    await avatars.get_by_role("radio", name="Ada").check()
    monitor = await form.submit_and_open()
    stored = await with_liveavatar.repository.sessions.get(monitor.session_id)
    assert stored is not None
    assert (stored.professor.avatar_id, stored.professor.voice_id) == (ADA, MARCUS_VOICE)
    assert refused == []


async def test_without_liveavatar_the_ids_can_still_be_typed(signed_in: Dashboard, page: Page) -> None:
    await signed_in.open_new_session()
    await expect(page.locator("#catalog-status")).to_contain_text("LiveAvatar cannot be reached right now")
    await expect(page.get_by_role("radiogroup", name="Avatar")).to_be_hidden()
    await expect(page.get_by_label("Avatar id")).to_be_editable()
