"""Single sign-on to the dashboard with OpenID Connect, against the fake provider in its own process
(`avatarfarm fake-oidc`: discovery, authorize, token, JWKS, ID tokens signed with a key it makes at start). A
professor signs in with their university account; unknown emails are refused in words unless their domain may
sign up; the state and the nonce are checked; the answer is accepted once, in the browser that asked."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.dashboard import session_cookie
from state.repository import Repository
from tests.api.conftest import TOKEN, RecordingFarm, make_settings
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.ports import bound_socket
from tests.support.servers import CliServer, run_cli_server, serve_app

CLIENT_ID = "avatarfarm-test-oidc"
CLIENT_SECRET = "oidc-client-secret-for-tests-only-0123456789"


@pytest.fixture(scope="module")
def provider() -> Iterator[CliServer]:
    args = ["fake-oidc", "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, "--log-level", "warning"]
    with run_cli_server(args, health_path="/.well-known/openid-configuration") as server:
        yield server


@dataclass
class Stack:
    base_url: str
    api: httpx.AsyncClient  # the admin's bearer token
    repository: Repository


@contextlib.asynccontextmanager
async def stack_for(tmp_path: Path, provider: CliServer, **overrides: Any) -> AsyncIterator[Stack]:
    sock = bound_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(
        tmp_path,
        public_base_url=base,
        oidc_issuer=provider.base_url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_provider_name="Uni Test",
        **overrides,
    )
    app = create_app(settings, farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with serve_app(app, sock):
        async with httpx.AsyncClient(
            timeout=CLIENT_TIMEOUT, base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as api:
            yield Stack(base, api, app.state.repository)


@pytest.fixture
async def stack(tmp_path: Path, provider: CliServer) -> AsyncIterator[Stack]:
    async with stack_for(tmp_path, provider) as made:
        yield made


async def start(browser: httpx.AsyncClient) -> httpx.URL:
    """The dashboard's 'Sign in with …': where it sends the browser (the provider's authorize URL)."""
    started = await browser.get("/dashboard/sign-in/oidc", params={"next": "/dashboard/account"})
    assert started.status_code == 303, started.text
    return httpx.URL(started.headers["location"])


async def approve(browser: httpx.AsyncClient, authorize: httpx.URL, email: str) -> httpx.URL:
    """The provider signs `email` in and sends the browser back: the callback URL (not followed yet)."""
    answered = await browser.get(authorize.copy_add_param("login_hint", email))
    assert answered.status_code == 302, answered.text
    return httpx.URL(answered.headers["location"])


async def sign_on(stack: Stack, browser: httpx.AsyncClient, email: str) -> httpx.Response:
    return await browser.get(str(await approve(browser, await start(browser), email)))


def browser_for(stack: Stack) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.base_url, timeout=30)


async def test_a_professor_signs_in_with_their_university_account(stack: Stack) -> None:
    added = await stack.api.post("/api/professors", json={"name": "Prof. Ada Lovelace", "email": "ADA@uni.test"})
    assert added.status_code == 201
    async with browser_for(stack) as browser:
        page = await browser.get("/dashboard/sign-in")
        assert "Sign in with Uni Test" in page.text
        authorize = await start(browser)
        params = authorize.params
        assert params["client_id"] == CLIENT_ID and params["code_challenge_method"] == "S256"
        assert params["state"] and params["nonce"] and "openid" in params["scope"].split()
        back = await browser.get(str(await approve(browser, authorize, "ada@uni.test")))
        assert back.status_code == 303 and back.headers["location"] == "/dashboard/account"
        assert session_cookie.SESSION_COOKIE in browser.cookies
        me = (await browser.get("/api/me")).json()
        assert me["professor"]["email"] == "ADA@uni.test" and me["scope"] == "write" and not me["bootstrap"]
        account = await browser.get("/dashboard/account")
        assert account.status_code == 200 and "single sign-on" in account.text  # the token it is bound to
        # Revoking that token ends the sign-on at once.
        [sso] = [t for t in (await browser.get("/api/tokens")).json()["tokens"] if t["name"] == "single sign-on"]
        csrf = {session_cookie.CSRF_HEADER: _csrf(browser)}
        assert (await browser.delete(f"/api/tokens/{sso['id']}", headers=csrf)).status_code == 200
        assert (await browser.get("/api/me")).status_code == 401


def _csrf(browser: httpx.AsyncClient) -> str:
    found = session_cookie.verify(TOKEN, browser.cookies[session_cookie.SESSION_COOKIE])
    assert found is not None
    return found.csrf_token


async def test_an_unknown_email_is_refused_in_words_and_nothing_is_made(stack: Stack) -> None:
    async with browser_for(stack) as browser:
        refused = await sign_on(stack, browser, "grace@uni.test")
    assert refused.status_code == 403
    assert "No avatarfarm account uses grace@uni.test" in refused.text and "Ask the administrator" in refused.text
    assert session_cookie.SESSION_COOKIE not in browser.cookies
    assert await stack.repository.professors.by_email("grace@uni.test") is None


async def test_an_unverified_email_is_refused(stack: Stack) -> None:
    await stack.api.post("/api/professors", json={"name": "Una", "email": "unverified@uni.test"})
    async with browser_for(stack) as browser:
        refused = await sign_on(stack, browser, "unverified@uni.test")
        assert refused.status_code == 403 and "no verified email address" in refused.text
        assert session_cookie.SESSION_COOKIE not in browser.cookies


async def test_the_admin_may_let_a_domain_sign_up(tmp_path: Path, provider: CliServer) -> None:
    async with stack_for(tmp_path, provider, oidc_signup_domains="uni.test") as stack:
        async with browser_for(stack) as browser:
            signed = await sign_on(stack, browser, "grace@uni.test")
            assert signed.status_code == 303, signed.text
            me = (await browser.get("/api/me")).json()["professor"]
            assert (me["name"], me["email"], me["role"]) == ("Grace Hopper", "grace@uni.test", "professor")
        async with browser_for(stack) as browser:
            refused = await sign_on(stack, browser, "eve@elsewhere.test")
            assert refused.status_code == 403 and "No avatarfarm account uses eve@elsewhere.test" in refused.text
        assert await stack.repository.professors.by_email("eve@elsewhere.test") is None


async def test_the_state_must_be_the_one_this_browser_was_sent(stack: Stack) -> None:
    await stack.api.post("/api/professors", json={"name": "Ada", "email": "ada@uni.test"})
    async with browser_for(stack) as browser:
        back = await approve(browser, await start(browser), "ada@uni.test")
        forged = back.copy_set_param("state", "not-the-state-it-was-sent")
        refused = await browser.get(str(forged))
        assert refused.status_code == 403 and "does not belong to the sign-in you started" in refused.text
    async with browser_for(stack) as other, browser_for(stack) as victim:  # another browser's answer
        back = await approve(other, await start(other), "ada@uni.test")
        refused = await victim.get(str(back))
        assert refused.status_code == 403 and "started in another browser" in refused.text
        assert session_cookie.SESSION_COOKIE not in victim.cookies
    async with browser_for(stack) as browser:  # an answer works once
        back = await approve(browser, await start(browser), "ada@uni.test")
        assert (await browser.get(str(back))).status_code == 303
        browser.cookies.delete(session_cookie.SESSION_COOKIE)
        assert (await browser.get(str(back))).status_code == 403


async def test_a_code_made_for_another_sign_in_is_refused(stack: Stack) -> None:
    """A code obtained elsewhere, presented with this browser's own state: refused by PKCE, and, when the other
    sign-in asked without PKCE (an attacker's own authorize request), by the ID token's nonce."""
    await stack.api.post("/api/professors", json={"name": "Ada", "email": "ada@uni.test"})
    async with browser_for(stack) as attacker, browser_for(stack) as browser:
        theirs = await start(attacker)
        without_pkce = theirs.copy_remove_param("code_challenge").copy_remove_param("code_challenge_method")
        for authorize in (theirs, without_pkce.copy_set_param("nonce", "the-attackers-own-nonce")):
            elsewhere = await approve(attacker, authorize, "ada@uni.test")
            mine = await approve(browser, await start(browser), "ada@uni.test")
            spliced = mine.copy_set_param("code", elsewhere.params["code"])
            refused = await browser.get(str(spliced))
            assert refused.status_code == 403 and "could not be verified" in refused.text
            assert session_cookie.SESSION_COOKIE not in browser.cookies
