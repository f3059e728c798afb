"""The dashboard's Zoom page in a real browser: Connect Zoom goes through the (fake) Zoom consent page and back,
and another professor connecting a different account gets the question "Replace it?" before anything changes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect

from api.app import create_app
from tests.api.conftest import TOKEN, RecordingFarm, make_settings
from tests.dashboard.pages import Dashboard
from tests.fakes_zoom.harness import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, running_fake_zoom
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.ports import bound_socket
from tests.support.servers import serve_app

pytestmark = pytest.mark.asyncio(loop_scope="session")

PROFESSOR_EMAIL = "professor@sim.avatarfarm.test"
OWNER_EMAIL = "owner@sim.avatarfarm.test"
TIMEOUT_MS = 15_000


@dataclass
class ZoomStack:
    base_url: str
    zoom_url: str
    api: httpx.AsyncClient


@pytest_asyncio.fixture(loop_scope="session")
async def stack(tmp_path: Path) -> AsyncIterator[ZoomStack]:
    async with running_fake_zoom() as zoom:
        sock = bound_socket()
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = make_settings(
            tmp_path,
            public_base_url=base,
            zoom_api_base=zoom.base_url,
            zoom_oauth_client_id=OAUTH_CLIENT_ID,
            zoom_oauth_client_secret=OAUTH_CLIENT_SECRET,
        )
        app = create_app(settings, farm_factory=lambda repo, *_: RecordingFarm(repo))
        async with serve_app(app, sock):
            async with httpx.AsyncClient(
                timeout=CLIENT_TIMEOUT, base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}
            ) as api:
                yield ZoomStack(base, zoom.base_url, api)


async def connect_as(page: Page, stack: ZoomStack, email: str) -> None:
    """From the signed-in dashboard's Zoom page, through Zoom's consent page, back to avatarfarm."""
    await page.goto(f"{stack.base_url}/dashboard/zoom")
    await page.locator("#connect-zoom").click()
    await expect(page).to_have_url(re.compile(re.escape(stack.zoom_url) + "/oauth/authorize"), timeout=TIMEOUT_MS)
    await page.get_by_role("button", name=re.compile(f"Allow as .*{re.escape(email)}")).click()
    await expect(page).to_have_url(re.compile(re.escape(stack.base_url) + "/api/zoom/callback"), timeout=TIMEOUT_MS)


async def connected_as(stack: ZoomStack) -> str | None:
    grant = (await stack.api.get("/api/zoom/grant")).json()
    return grant["email"] if grant["connected"] else None


async def test_connect_zoom_then_another_account_asks_before_replacing(
    chromium: Browser, page: Page, stack: ZoomStack
) -> None:
    await Dashboard(page, stack.base_url).sign_in(TOKEN)
    await page.goto(f"{stack.base_url}/dashboard/zoom")
    await expect(page.locator("#zoom-status")).to_contain_text("Zoom is not connected")
    await connect_as(page, stack, PROFESSOR_EMAIL)
    await expect(page.get_by_role("heading", name="Zoom is connected")).to_be_visible()
    await page.get_by_role("link", name="Back to the dashboard").click()
    await expect(page.locator("#zoom-status")).to_contain_text(f"Zoom is connected as {PROFESSOR_EMAIL}")

    context = await chromium.new_context()
    try:
        other = await context.new_page()
        await Dashboard(other, stack.base_url).sign_in(TOKEN)
        await connect_as(other, stack, OWNER_EMAIL)
        await expect(other.get_by_role("heading", name="Replace the Zoom connection?")).to_be_visible()
        assert await connected_as(stack) == PROFESSOR_EMAIL
        await other.get_by_role("link", name="Answer on the dashboard's Zoom page").click()
        question = other.locator("#zoom-replace")
        await expect(question).to_contain_text(
            f"Zoom is connected as {PROFESSOR_EMAIL}. Replace it with {OWNER_EMAIL}?"
        )
        assert await connected_as(stack) == PROFESSOR_EMAIL
        await other.get_by_role("button", name=f"Replace with {OWNER_EMAIL}").click()
        await expect(other.get_by_role("status")).to_contain_text("now connected with the new account")
        await expect(other.locator("#zoom-status")).to_contain_text(f"Zoom is connected as {OWNER_EMAIL}")
    finally:
        await context.close()
    assert await connected_as(stack) == OWNER_EMAIL
