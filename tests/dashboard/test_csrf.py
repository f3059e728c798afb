"""CSRF protection: with the sign-in cookie, requests that change state need the page's CSRF token; the
sign-in and sign-out forms refuse posts from elsewhere; bearer-token clients work as before."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Page

from api.dashboard import session_cookie
from tests.api.conftest import TOKEN
from tests.dashboard.conftest import DashboardServer
from tests.dashboard.pages import Dashboard
from tests.support.http_clients import CLIENT_TIMEOUT

SIGN_IN_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
CSRF_META = re.compile(r'name="avatarfarm-csrf" content="([^"]+)"')

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def browser_like(server: DashboardServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client that signs in through the form, as a browser does (cookies kept between requests)."""
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT, base_url=server.base_url, follow_redirects=False) as client:
        form = await client.get("/dashboard/sign-in")
        match = SIGN_IN_FORM_TOKEN.search(form.text)
        assert match
        signed = await client.post(
            "/dashboard/sign-in",
            data={"token": TOKEN, "form_token": match.group(1), "next": "/dashboard"},
            headers={"Origin": server.base_url},
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/dashboard", signed.text
        set_cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=strict" in set_cookie and "path=/" in set_cookie
        yield client


async def csrf_token(client: httpx.AsyncClient) -> str:
    page = await client.get("/dashboard")
    match = CSRF_META.search(page.text)
    assert match, page.text[:300]
    return match.group(1)


async def test_cookie_requests_that_change_state_need_the_csrf_token(
    server: DashboardServer, browser_like: httpx.AsyncClient
) -> None:
    session = await server.create_session(1)
    room_id = session["rooms"][0]["id"]
    await server.farm.join(room_id)
    say = f"/api/sessions/{session['id']}/rooms/{room_id}/say"

    assert (await browser_like.get(f"/api/sessions/{session['id']}")).status_code == 200
    missing = await browser_like.post(say, json={"text": "hello"})
    assert missing.status_code == 403
    assert missing.json()["error"] == "csrf_failed"
    wrong = await browser_like.post(say, json={"text": "hello"}, headers={"X-CSRF-Token": "x" * 32})
    assert wrong.status_code == 403
    ended = await browser_like.delete(f"/api/sessions/{session['id']}")
    assert ended.status_code == 403
    created = await browser_like.post("/api/sessions", json={})
    assert created.status_code == 403
    assert server.farm.names() == ["start", "start_session"]

    token = await csrf_token(browser_like)
    assert token != TOKEN
    accepted = await browser_like.post(say, json={"text": "hello"}, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 202, accepted.text
    assert server.farm.calls_named("say") == [(room_id, "hello")]

    # Bearer clients need no CSRF token, with or without a cookie around.
    bearer = await server.client.post(f"{say}", json={"text": "again"})
    assert bearer.status_code == 202
    assert len(server.farm.calls_named("say")) == 2


async def test_the_event_stream_accepts_the_cookie(server: DashboardServer, browser_like: httpx.AsyncClient) -> None:
    async with browser_like.stream("GET", "/api/events?since=0") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")


async def test_forged_expired_and_foreign_cookies_are_refused(server: DashboardServer) -> None:
    expired, _ = session_cookie.issue(TOKEN, now=0)
    other_server, _ = session_cookie.issue("another-servers-token")
    good, _ = session_cookie.issue(TOKEN)
    nonce_tampered = good.replace(good.split(".")[1], "A" * len(good.split(".")[1]))
    for value in (expired, other_server, nonce_tampered, "v1.x.9999999999.sig", TOKEN):
        async with httpx.AsyncClient(
            timeout=CLIENT_TIMEOUT, base_url=server.base_url, cookies={"avatarfarm_session": value}
        ) as client:
            response = await client.get("/api/sessions")
            assert response.status_code == 401, value
            page = await client.get("/dashboard", follow_redirects=False)
            assert page.status_code == 303 and page.headers["location"].startswith("/dashboard/sign-in")


async def test_sign_in_form_refuses_posts_from_elsewhere(server: DashboardServer) -> None:
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT, base_url=server.base_url, follow_redirects=False) as client:
        form = await client.get("/dashboard/sign-in")
        match = SIGN_IN_FORM_TOKEN.search(form.text)
        assert match
        fields = {"token": TOKEN, "form_token": match.group(1), "next": "/dashboard"}
        foreign = await client.post("/dashboard/sign-in", data=fields, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
        assert "avatarfarm_session" not in foreign.headers.get("set-cookie", "")
        # A form token that is not the one this browser was given.
        forged = await client.post("/dashboard/sign-in", data={**fields, "form_token": "guess"})
        assert forged.status_code == 403
        # No open redirect after sign-in.
        form = await client.get("/dashboard/sign-in")
        match = SIGN_IN_FORM_TOKEN.search(form.text)
        assert match
        redirected = await client.post(
            "/dashboard/sign-in", data={**fields, "form_token": match.group(1), "next": "//evil.example/dashboard"}
        )
        assert redirected.status_code == 303 and redirected.headers["location"] == "/dashboard"


async def test_sign_out_needs_the_csrf_token(server: DashboardServer, browser_like: httpx.AsyncClient) -> None:
    refused = await browser_like.post("/dashboard/sign-out", data={"csrf_token": "guess"})
    assert refused.status_code == 403
    assert (await browser_like.get("/api/sessions")).status_code == 200
    token = await csrf_token(browser_like)
    foreign = await browser_like.post(
        "/dashboard/sign-out", data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    signed_out = await browser_like.post("/dashboard/sign-out", data={"csrf_token": token})
    assert signed_out.status_code == 303
    assert (await browser_like.get("/api/sessions")).status_code == 401


@pytest.mark.browser
async def test_a_script_without_the_csrf_header_is_refused_in_the_browser(
    signed_in: Dashboard, server: DashboardServer, page: Page
) -> None:
    session = await server.create_session(1)
    await signed_in.open_session(session["id"])
    status = await page.evaluate(
        "async (path) => (await fetch(path, { method: 'DELETE' })).status", f"/api/sessions/{session['id']}"
    )
    assert status == 403
    assert "end_session" not in server.farm.names()


async def test_cookies_are_secure_over_https(server: DashboardServer) -> None:
    transport = httpx.ASGITransport(app=server.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://dashboard.example") as client:
        form = await client.get("/dashboard/sign-in")
        assert "; secure" in form.headers["set-cookie"].lower()
        match = SIGN_IN_FORM_TOKEN.search(form.text)
        assert match
        signed = await client.post(
            "/dashboard/sign-in",
            data={"token": TOKEN, "form_token": match.group(1), "next": "/dashboard"},
            headers={"Origin": "https://dashboard.example"},
        )
        assert signed.status_code == 303, signed.text
        cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("avatarfarm_session="))
        flags = {part.strip().lower() for part in cookie.split(";")}
        assert {"secure", "httponly", "samesite=strict", "path=/"} <= flags, cookie
