"""Pages around the monitor: / leads to the dashboard, an unknown session is a page in words, pages carry
their security headers, the room grid goes from 2 to 5 columns with the window, the session list follows
new sessions without a reload."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page, Route, expect

from tests.dashboard.conftest import DashboardServer
from tests.dashboard.pages import Dashboard

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_root_headers_and_unknown_session(server: DashboardServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, follow_redirects=False) as client:
        root = await client.get("/")
        assert root.status_code == 307 and root.headers["location"] == "/dashboard"
        sign_in = await client.get("/dashboard/sign-in")
        assert sign_in.status_code == 200
        csp = sign_in.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert sign_in.headers["x-frame-options"] == "DENY"
        assert sign_in.headers["cache-control"] == "no-store"
        script = await client.get("/dashboard/static/monitor.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        assert script.headers["x-content-type-options"] == "nosniff"


@pytest.mark.browser
async def test_unknown_session_is_a_page_in_words(signed_in: Dashboard, page: Page) -> None:
    response = await page.goto(signed_in.url("/dashboard/sessions/ses_000000000000"))
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("No such session")


@pytest.mark.browser
async def test_the_grid_has_two_to_five_columns(signed_in: Dashboard, server: DashboardServer, page: Page) -> None:
    session = await server.create_session(6)
    await signed_in.open_session(session["id"])
    columns = "getComputedStyle(document.getElementById('room-grid')).gridTemplateColumns.split(' ').length"
    for width, expected in ((480, 2), (800, 2), (1000, 3), (1400, 4), (1800, 5), (2400, 5)):
        await page.set_viewport_size({"width": width, "height": 900})
        assert await page.evaluate(columns) == expected, width


@pytest.mark.browser
async def test_the_session_list_follows_new_sessions(signed_in: Dashboard, server: DashboardServer) -> None:
    first = await server.create_session(1)
    sessions = await signed_in.open_sessions()
    await expect(sessions.rows).to_have_count(1)
    await expect(sessions.row(first["id"])).to_contain_text("0 / 1")
    second = await server.create_session(2, course={"name": "Started elsewhere", "context": ""})
    await expect(sessions.row(second["id"])).to_contain_text("Started elsewhere")
    await server.farm.join(first["rooms"][0]["id"])
    await expect(sessions.row(first["id"])).to_contain_text("1 / 1")
    await expect(sessions.rows.first).to_have_attribute("data-session-id", second["id"])


async def test_a_list_update_that_cannot_reach_the_server_is_tried_again_without_a_page_error(
    signed_in: Dashboard, server: DashboardServer
) -> None:
    """The list's fetch failing (a server restarting, a dropped keep-alive connection: a fresh-clone run saw an
    uncaught 'Failed to fetch' here) leaves the list as it is, and a moment later it is fetched again."""
    await server.create_session(1)
    sessions = await signed_in.open_sessions()
    await expect(sessions.rows).to_have_count(1)
    refused: list[str] = []

    async def drop_the_first(route: Route) -> None:
        if not refused:
            refused.append(route.request.url)
            await route.abort("connectionreset")
        else:
            await route.continue_()

    await signed_in.page.route(signed_in.url("/dashboard"), drop_the_first)
    second = await server.create_session(2, course={"name": "Started while the server was away", "context": ""})
    await expect(sessions.row(second["id"])).to_contain_text("Started while the server was away")
    assert refused  # the first fetch did fail
