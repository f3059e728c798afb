"""The course-materials page in a real browser: files dropped on it are uploaded for the course and listed
with their pages and passages; a scan is refused in words; a file is deleted with its button."""

from __future__ import annotations

import base64

import pytest
from playwright.async_api import JSHandle, Page, expect

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
