"""Sign-in with the API token in a real browser: the cookie's flags and value, no secret in the page,
sign-out revokes the cookie, a wrong token is refused beside the field, pages need sign-in."""

from __future__ import annotations

import contextlib
import re

import httpx
import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Route, expect
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from tests.dashboard.conftest import DashboardServer
from tests.dashboard.pages import Dashboard
from tests.support.http_clients import CLIENT_TIMEOUT

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_sign_in_sets_a_strict_http_only_cookie_that_is_not_the_token_and_sign_out_revokes_it(
    dashboard: Dashboard, server: DashboardServer, page: Page
) -> None:
    session = await server.create_session(2)
    # A page that needs sign-in sends the browser to the form, and back after it.
    await page.goto(dashboard.url(f"/dashboard/sessions/{session['id']}"))
    await expect(page).to_have_url(re.compile(r"/dashboard/sign-in\?next="))
    await dashboard.fill_sign_in(server.token)
    await expect(page).to_have_url(dashboard.url(f"/dashboard/sessions/{session['id']}"))

    cookies = {c["name"]: c for c in await page.context.cookies()}
    cookie = cookies["avatarfarm_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/"
    assert server.token not in cookie["value"]
    assert "avatarfarm_session" not in await page.evaluate("document.cookie")

    # The cookie works for REST, not as a bearer token.
    async with (
        httpx.AsyncClient(
            timeout=CLIENT_TIMEOUT, base_url=server.base_url, cookies={"avatarfarm_session": cookie["value"]}
        ) as with_cookie,
        httpx.AsyncClient(timeout=CLIENT_TIMEOUT, base_url=server.base_url) as anonymous,
    ):
        assert (await with_cookie.get("/api/sessions")).status_code == 200
        as_bearer = await anonymous.get("/api/sessions", headers={"Authorization": f"Bearer {cookie['value']}"})
        assert as_bearer.status_code == 401

        await dashboard.sign_out()
        await expect(page.get_by_role("status")).to_have_text("You are signed out.")
        assert "avatarfarm_session" not in {c["name"] for c in await page.context.cookies()}
        # The old cookie value is dead on the server too, not only deleted in this browser.
        replayed = await with_cookie.get("/api/sessions")
        assert replayed.status_code == 401
        assert "sign in again" in replayed.json()["message"]

    await page.goto(dashboard.url("/dashboard"))
    await expect(page).to_have_url(re.compile(r"/dashboard/sign-in"))


async def test_sign_out_from_a_live_page_ends_signed_out_even_when_the_page_asks_the_api_meanwhile(
    signed_in: Dashboard, server: DashboardServer, page: Page
) -> None:
    """The session page asks the API every 2 s; one of its requests can reach the server after the sign-out
    revoked the cookie and before the browser shows the signed-out page. Its 401 must not send the browser to a
    plain sign-in form over the sign-out's own answer (a fresh-clone run beside a busy core did)."""
    session = await server.create_session(2)
    await page.goto(signed_in.url(f"/dashboard/sessions/{session['id']}"))
    await expect(page.locator("#monitor")).to_have_attribute("data-loaded", "true")

    refused_meanwhile: list[str] = []
    page.on("response", lambda r: refused_meanwhile.append(r.url) if r.status == 401 else None)

    async def slow_sign_out(route: Route) -> None:
        answer = await route.fetch(max_redirects=0)  # the server has revoked the cookie now
        await page.wait_for_event("response", lambda r: r.status == 401 and "/api/" in r.url, timeout=10_000)
        # Give the page the moment it needs to act on that 401 (before the fix: go to the sign-in form).
        with contextlib.suppress(PlaywrightTimeoutError):
            await page.wait_for_event("request", lambda r: "/dashboard/sign-in?next=" in r.url, timeout=1_000)
        with contextlib.suppress(PlaywrightError):  # the page may have left this navigation already
            await route.fulfill(response=answer)

    await page.route("**/dashboard/sign-out", slow_sign_out)
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("status")).to_have_text("You are signed out.")
    await expect(page).to_have_url(re.compile(r"/dashboard/sign-in\?signed_out=1$"))
    assert refused_meanwhile, "the page asked nothing between the revocation and the signed-out page"


async def test_a_wrong_token_is_refused_beside_the_field(dashboard: Dashboard, page: Page) -> None:
    await page.goto(dashboard.url("/dashboard/sign-in"))
    await dashboard.fill_sign_in("not-the-token")
    await expect(dashboard.sign_in_error()).to_contain_text("not an API token of this server")
    await expect(page.get_by_label("API token")).to_have_attribute("aria-invalid", "true")
    assert "avatarfarm_session" not in {c["name"] for c in await page.context.cookies()}


async def test_no_secret_in_any_page_or_script(signed_in: Dashboard, server: DashboardServer, page: Page) -> None:
    session = await server.create_session(2)
    cookie = next(c for c in await page.context.cookies() if c["name"] == "avatarfarm_session")["value"]
    settings = server.settings
    secrets = {
        "API token": server.token,
        "session cookie": cookie,
        "Zoom SDK secret": settings.zoom_sdk_secret.get_secret_value() if settings.zoom_sdk_secret else None,
        "Zoom OAuth secret": (
            settings.zoom_oauth_client_secret.get_secret_value() if settings.zoom_oauth_client_secret else None
        ),
        "LiveAvatar key": settings.liveavatar_api_key.get_secret_value() if settings.liveavatar_api_key else None,
    }
    scripts: set[str] = set()
    for path in ("/dashboard", "/dashboard/sessions/new", f"/dashboard/sessions/{session['id']}"):
        await page.goto(signed_in.url(path))
        html = await page.content()
        scripts.update(await page.eval_on_selector_all("script[src]", "nodes => nodes.map(n => n.src)"))
        scripts.update(await page.eval_on_selector_all("link[rel=stylesheet]", "nodes => nodes.map(n => n.href)"))
        for name, secret in secrets.items():
            assert secret and secret not in html, f"{name} in {path}"
    scripts.update(signed_in.url(f"/dashboard/static/{name}") for name in ("api.js", "stream.js", "room-card.js"))
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as client:
        for url in scripts:
            body = (await client.get(url)).text
            for name, secret in secrets.items():
                assert secret and secret not in body, f"{name} in {url}"
