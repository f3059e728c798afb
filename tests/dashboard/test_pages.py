"""Pages around the monitor: / leads to the dashboard, an unknown session is a page in words, pages carry
their security headers, the room grid goes from 2 to 5 columns with the window, the session list follows
new sessions without a reload."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from playwright.async_api import Page, Route, expect

from tests.dashboard.conftest import DashboardServer
from tests.dashboard.pages import Dashboard
from tests.support.http_clients import CLIENT_TIMEOUT

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_root_headers_and_unknown_session(server: DashboardServer) -> None:
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT, base_url=server.base_url, follow_redirects=False) as client:
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


@pytest.mark.browser
async def test_a_list_update_the_server_refuses_says_so_and_is_tried_again(
    signed_in: Dashboard, server: DashboardServer
) -> None:
    """An error answer to the list's update (a 503 from a proxy in front of a restarting server) is said above the
    list, which stays as it was; the update is tried again, and once it succeeds the notice goes."""
    await server.create_session(1)
    sessions = await signed_in.open_sessions()
    await expect(sessions.rows).to_have_count(1)
    problem = signed_in.page.locator("#list-problem")
    await expect(problem).to_be_hidden()
    notice_seen = asyncio.Event()
    answered: list[int] = []

    async def refuse_the_first(route: Route) -> None:
        if not answered:
            answered.append(503)
            await route.fulfill(status=503, body="Service Unavailable", content_type="text/plain")
        else:
            await notice_seen.wait()  # the retry waits until the test has read the notice
            answered.append(200)
            await route.continue_()

    await signed_in.page.route(signed_in.url("/dashboard"), refuse_the_first)
    second = await server.create_session(2, course={"name": "Started while the server was refusing", "context": ""})
    await expect(problem).to_be_visible()
    await expect(problem).to_contain_text("the server answered 503")
    await expect(problem).to_contain_text("may be out of date")
    await expect(sessions.rows).to_have_count(1)  # the list as it was, not an error page
    notice_seen.set()
    await expect(sessions.row(second["id"])).to_contain_text("Started while the server was refusing")
    await expect(problem).to_be_hidden()
    assert answered[:2] == [503, 200]


@pytest.mark.browser
async def test_a_list_whose_sign_in_ended_in_another_tab_goes_to_the_sign_in_form(
    signed_in: Dashboard, server: DashboardServer
) -> None:
    """Signed out in another tab: the list's next update is answered with the sign-in form, and the page goes
    there (to come back to the list), instead of keeping a list that no longer updates."""
    sessions = await signed_in.open_sessions()
    other_tab = Dashboard(await signed_in.page.context.new_page(), server.base_url)
    await other_tab.open_sessions()
    await other_tab.sign_out()
    await server.create_session(1)  # an event: the first tab's list asks for an update
    await expect(signed_in.page).to_have_url(re.compile(r"/dashboard/sign-in\?next=%2Fdashboard$"))
    await expect(signed_in.page.get_by_role("button", name="Sign in")).to_be_visible()
    assert await sessions.rows.count() == 0
