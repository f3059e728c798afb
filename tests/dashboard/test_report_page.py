"""The conversation record in the dashboard: the transcript streams into an expanded room as lines are said,
with its downloads; after the session, the report page shows the rooms side by side (talk-time bars,
questions, credits, incidents in words) with the downloads, and passes the accessibility audit."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from state.models import TranscriptRole
from tests.dashboard.conftest import DashboardServer
from tests.dashboard.pages import Dashboard
from tests.dashboard.test_accessibility import audit

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_the_transcript_streams_into_the_room_details(
    signed_in: Dashboard, server: DashboardServer, page: Page
) -> None:
    session = await server.create_session([("Room 1", "Grace")])
    room_id = session["rooms"][0]["id"]
    await server.farm.join(room_id)
    monitor = await signed_in.open_session(session["id"])
    room = monitor.room("Room 1")
    await room.expand()
    transcript = room.details.get_by_role("log", name="Transcript")
    await expect(transcript).to_contain_text("Nothing said yet.")
    await server.farm.transcript(room_id, "Katherine Johnson", TranscriptRole.student, "why does it stop")
    await expect(transcript.locator("li")).to_have_count(1)
    await expect(transcript).to_contain_text("Katherine Johnson: why does it stop")
    markdown = room.details.get_by_role("link", name="Transcript of Room 1 as Markdown")
    href = await markdown.get_attribute("href")
    assert href == f"/api/sessions/{session['id']}/rooms/{room_id}/transcript.md"
    download = await page.request.get(signed_in.url(href))  # the sign-in cookie is enough for a download
    assert download.status == 200 and "Katherine Johnson" in await download.text()


async def test_the_report_page_after_the_session(signed_in: Dashboard, server: DashboardServer, page: Page) -> None:
    session = await server.create_session([("Room 1", "Grace"), ("Room 2", "Alan")])
    ids = await server.room_ids(session)
    one, two = ids["Room 1"], ids["Room 2"]
    await server.farm.join(one)
    await server.repository.talk_time.record(one, "student.speaking", {"speaking": True})
    await server.farm.transcript(one, "Grace Hopper", TranscriptRole.student, "What is a base case?")
    await server.repository.talk_time.record(one, "student.speaking", {"speaking": False})
    await server.farm.transcript(one, "Prof. Ada Lovelace (AI)", TranscriptRole.avatar, "What would make it stop?")
    await server.farm.bill(one, minutes=3.0, credits=6.0)
    await server.farm.join(two)
    await server.farm.crash(two)
    assert (await server.client.delete(f"/api/sessions/{session['id']}")).status_code == 202

    await page.goto(signed_in.url(f"/dashboard/sessions/{session['id']}"))
    await page.get_by_role("link", name="Session report").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Session report: CS 101")
    rooms = page.locator(".report-room")
    await expect(rooms).to_have_count(2)
    first, second = rooms.nth(0), rooms.nth(1)
    await expect(first.get_by_role("heading", name="Room 1")).to_be_visible()
    await expect(first.locator('[data-fact="questions"]')).to_have_text("1")
    await expect(first.locator('[data-fact="credits"]')).to_have_text("6.00")
    await expect(first).to_contain_text("Students who spoke: Grace Hopper")
    await expect(first.get_by_role("img", name="Talk time")).to_be_visible()
    await expect(second.locator(".incidents")).to_contain_text("Failure: The room failed:")
    await expect(page.locator('[data-total="questions"]')).to_have_text("1")
    await expect(page.locator("#not-final")).to_have_count(0)
    boxes = [await rooms.nth(i).bounding_box() for i in range(2)]
    assert boxes[0] and boxes[1] and boxes[0]["y"] == boxes[1]["y"]  # side by side
    vtt = first.get_by_role("link", name="Transcript of Room 1 as WebVTT")
    response = await page.request.get(signed_in.url(await vtt.get_attribute("href") or ""))
    assert response.status == 200 and (await response.text()).startswith("WEBVTT")
    assert await audit(page) == [], "report"
