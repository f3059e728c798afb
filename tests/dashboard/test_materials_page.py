"""The course-materials page in a real browser: files dropped on it are uploaded for the course and listed
with their pages and passages; a scan is refused in words; a file is deleted with its button."""

from __future__ import annotations

import base64

import pytest
from playwright.async_api import JSHandle, Page, expect

from state.models import GivenPassage
from tests.dashboard.conftest import DashboardServer
from tests.dashboard.pages import Dashboard
from tests.dashboard.test_accessibility import audit
from tests.support.material_files import blank_pdf, text_pdf

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MAKE_TRANSFER = """
(files) => {
  const transfer = new DataTransfer();
  for (const [name, data] of files) {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name));
  }
  return transfer;
}
"""


async def _transfer(page: Page, files: list[tuple[str, bytes]]) -> JSHandle:
    encoded = [[name, base64.b64encode(data).decode()] for name, data in files]
    return await page.evaluate_handle(MAKE_TRANSFER, encoded)


async def test_files_dropped_on_the_page_are_uploaded_listed_and_deleted(
    signed_in: Dashboard, server: DashboardServer, page: Page
) -> None:
    await page.goto(signed_in.url("/dashboard/materials?course=CS%20101"))
    await expect(page.locator("#no-materials")).to_be_visible()
    notes = text_pdf(["Recursion needs a base case.", "Merge sort merges.", "Heaps sift down."])
    transfer = await _transfer(page, [("algorithms-notes.pdf", notes), ("scan.pdf", blank_pdf())])
    await page.locator("#drop-zone").dispatch_event("drop", {"dataTransfer": transfer})

    status = page.locator("#upload-status")
    await expect(status.locator("li.ok")).to_have_text("algorithms-notes.pdf: 3 pages, 3 passages.")
    await expect(status.locator("li.error")).to_contain_text("scan.pdf has no text to read: it looks like a scan")
    row = page.get_by_role("row", name="algorithms-notes.pdf")
    await expect(row).to_contain_text("3 pages")
    [material] = (await server.client.get("/api/materials", params={"course": "cs 101"})).json()["materials"]
    assert material["filename"] == "algorithms-notes.pdf"
    assert await audit(page) == []

    await page.get_by_role("button", name="Delete algorithms-notes.pdf").click()
    await expect(page.locator("#no-materials")).to_be_visible()
    assert (await server.client.get("/api/materials")).json()["materials"] == []


async def test_a_drop_without_a_course_asks_for_one_and_uploads_nothing(
    signed_in: Dashboard, server: DashboardServer, page: Page
) -> None:
    await page.goto(signed_in.url("/dashboard/materials"))
    transfer = await _transfer(page, [("notes.md", b"# Heaps\nSift down.\n")])
    await page.locator("#drop-zone").dispatch_event("drop", {"dataTransfer": transfer})
    await expect(page.locator("#upload-status li.error")).to_have_text(
        "Name the course first: the course name your sessions use."
    )
    assert (await server.client.get("/api/materials")).json()["materials"] == []


async def test_a_course_list_the_server_cannot_give_says_so_in_words(
    signed_in: Dashboard, server: DashboardServer, page: Page
) -> None:
    """Before: an uncaught error in the page, and an empty table that looked like a course without materials."""
    await page.route("**/api/materials?course=*", lambda route: route.abort("connectionreset"))
    await page.goto(signed_in.url("/dashboard/materials?course=CS%20101"))
    await expect(page.locator("#upload-status li.error")).to_have_text(
        "The server cannot be reached. Check your connection."
    )
    await expect(page.locator("#no-materials")).to_be_hidden()


async def test_a_rooms_details_and_the_report_page_show_the_passages_each_avatar_start_received(
    signed_in: Dashboard, server: DashboardServer, page: Page
) -> None:
    session = await server.create_session([("Room 1", "Grace")])
    room_id = session["rooms"][0]["id"]
    await server.farm.join(room_id)
    for passages in (
        [GivenPassage(1, "algorithms-notes.pdf, p. 28", "Heaps sift down.", pinned=True)],
        [
            GivenPassage(1, "algorithms-notes.pdf, p. 28", "Heaps sift down.", pinned=True),
            GivenPassage(7, "graphs-lecture.pptx, slide 5", "Dijkstra needs non-negative weights.", pinned=False),
        ],
    ):
        row = await server.repository.avatars.open(room_id, bot_id=None)
        await server.repository.materials.record_given_passages(row.id, passages)

    monitor = await signed_in.open_session(session["id"])
    room = monitor.room("Room 1")
    await room.expand()
    given = room.details.get_by_role("region", name="Course passages")
    await expect(given.locator("details[open] li")).to_have_text(
        ["algorithms-notes.pdf, p. 28 (pinned)", "graphs-lecture.pptx, slide 5"]
    )
    await expect(given.locator("summary")).to_have_text(["Avatar start 2: 2 passages", "Avatar start 1: 1 passage"])

    await page.goto(signed_in.url(f"/dashboard/sessions/{session['id']}/report"))
    starts = page.locator(".passage-starts > li")
    await expect(starts).to_have_count(2)
    await expect(starts.nth(1)).to_contain_text("graphs-lecture.pptx, slide 5")
    assert await audit(page) == []


async def test_a_professor_finds_and_pins_a_passage_from_a_rooms_details(
    signed_in: Dashboard, server: DashboardServer, page: Page
) -> None:
    session = await server.create_session([("Room 1", "Grace")])
    room_id = session["rooms"][0]["id"]
    notes = text_pdf(["Recursion needs a base case.", "Merge sort splits, sorts and merges the halves."])
    upload = await server.client.post(
        "/api/materials", data={"course": "cs 101"}, files={"file": ("algorithms-notes.pdf", notes)}
    )
    assert upload.status_code == 201
    monitor = await signed_in.open_session(session["id"])
    room = monitor.room("Room 1")
    await room.expand()
    pinned = room.details.get_by_role("list", name="Passages pinned to Room 1")
    await expect(pinned).to_contain_text("None pinned.")
    await room.details.get_by_role("searchbox", name="Find a course passage to pin to Room 1").fill("merging halves")
    await room.details.get_by_role("button", name="Find").click()
    await room.details.get_by_role("button", name="Pin algorithms-notes.pdf, p. 2").click()
    await expect(pinned.locator("li")).to_have_count(1)
    await expect(pinned).to_contain_text("algorithms-notes.pdf, p. 2")
    pins = (await server.client.get(f"/api/sessions/{session['id']}/rooms/{room_id}/pins")).json()["passages"]
    assert [p["source"] for p in pins] == ["algorithms-notes.pdf, p. 2"]
    assert await audit(page) == []

    await pinned.get_by_role("button", name="Unpin algorithms-notes.pdf, p. 2").click()
    await expect(pinned).to_contain_text("None pinned.")
    assert (await server.client.get(f"/api/sessions/{session['id']}/rooms/{room_id}/pins")).json()["passages"] == []
