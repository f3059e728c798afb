"""Connecting Zoom: the OAuth state is single-use and bound to the signed-in dashboard session and its browser,
PKCE (S256) is used, and a different Zoom account never silently replaces the connected one."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.dashboard import session_cookie
from farm.settings import Settings
from farm.vendors.zoom_client import ZoomClient
from state.professors_repository import ADMIN_ID
from state.repository import Repository
from tests.api.conftest import TOKEN, RecordingFarm, make_settings, session_body
from tests.fakes_zoom.harness import (
    APP_OWNER,
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    PROFESSOR,
    FakeZoom,
    running_fake_zoom,
)
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.ports import bound_socket
from tests.support.servers import serve_app

PROFESSOR_EMAIL = "professor@sim.avatarfarm.test"
OWNER_EMAIL = "owner@sim.avatarfarm.test"


@dataclass
class Stack:
    base_url: str
    api: httpx.AsyncClient  # bearer token
    repository: Repository
    database: Path
    zoom: FakeZoom
    settings: Settings


@dataclass
class Browser:
    """A signed-in dashboard browser (its cookie jar), as the professor's would be."""

    http: httpx.AsyncClient
    csrf: str


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
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
                yield Stack(base, api, app.state.repository, settings.database_path, zoom, settings)


@contextlib.asynccontextmanager
async def browser(stack: Stack, professor: tuple[str, str] | None = None) -> AsyncIterator[Browser]:
    """Signed in as the admin, or as `professor` (their id and the id of the token they signed in with)."""
    if professor is None:
        value, signed_in = session_cookie.issue(TOKEN)
    else:
        value, signed_in = session_cookie.issue(TOKEN, professor_id=professor[0], token_id=professor[1])
    async with httpx.AsyncClient(base_url=stack.base_url, follow_redirects=True, timeout=30) as http:
        http.cookies.set(session_cookie.SESSION_COOKIE, value)
        yield Browser(http, signed_in.csrf_token)


async def start(b: Browser) -> str:
    response = await b.http.post("/api/zoom/authorize", headers={session_cookie.CSRF_HEADER: b.csrf})
    assert response.status_code == 200, response.text
    url: str = response.json()["authorize_url"]
    return url


async def callback_url(b: Browser, user: str) -> str:
    """Zoom's redirect back to avatarfarm after the user approved (not followed yet)."""
    approved = await b.http.get(f"{await start(b)}&user={user}", follow_redirects=False)
    assert approved.status_code == 302, approved.text
    return approved.headers["location"]


async def connect(b: Browser, user: str) -> httpx.Response:
    return await b.http.get(await callback_url(b, user))


async def connected_as(stack: Stack) -> str | None:
    grant = (await stack.api.get("/api/zoom/grant")).json()
    return grant["email"] if grant["connected"] else None


async def test_connecting_uses_pkce_s256_and_stores_the_grant(stack: Stack) -> None:
    async with browser(stack) as b:
        url = httpx.URL(await start(b))
        assert url.params["code_challenge_method"] == "S256"
        assert len(url.params["code_challenge"]) == 43  # base64url of a SHA-256 digest, unpadded
        assert "code_verifier" not in str(url)
        page = await b.http.get(f"{url}&user={PROFESSOR}")
    assert page.status_code == 200, page.text
    assert "Zoom is connected" in page.text
    assert await connected_as(stack) == PROFESSOR_EMAIL


async def test_a_replayed_state_is_refused_in_words(stack: Stack) -> None:
    async with browser(stack) as b:
        back = await callback_url(b, PROFESSOR)
        first = await b.http.get(back)
        assert first.status_code == 200 and "Zoom is connected" in first.text
        replayed = await b.http.get(back)
    assert replayed.status_code == 400
    assert "already used" in replayed.text and "each link works once" in replayed.text


async def test_the_approval_must_come_back_to_the_browser_that_started_it(stack: Stack) -> None:
    async with browser(stack) as b:
        back = await callback_url(b, PROFESSOR)
    async with httpx.AsyncClient(
        timeout=CLIENT_TIMEOUT
    ) as stranger:  # e.g. a victim lured to an attacker's approval link
        page = await stranger.get(back)
    assert page.status_code == 403
    assert "different browser" in page.text
    assert await connected_as(stack) is None


async def test_authorizing_needs_a_signed_in_dashboard_session(stack: Stack) -> None:
    response = await stack.api.post("/api/zoom/authorize")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "dashboard_sign_in_required" and "/dashboard/zoom" in body["message"]


async def test_signing_out_voids_the_authorizations_it_started(stack: Stack) -> None:
    async with browser(stack) as b:
        back = await callback_url(b, PROFESSOR)
        signed_out = await b.http.post("/dashboard/sign-out", data={"csrf_token": b.csrf})
        assert signed_out.status_code == 200 and "signed out" in signed_out.text.lower()
        page = await b.http.get(back)
    assert page.status_code == 403 and "signed out" in page.text
    assert await connected_as(stack) is None


async def test_a_different_account_waits_for_the_professor_to_confirm(stack: Stack) -> None:
    async with browser(stack) as first:
        assert (await connect(first, PROFESSOR)).status_code == 200
    async with browser(stack) as second:
        page = await connect(second, APP_OWNER)
        assert page.status_code == 200
        assert f"Zoom is connected as {PROFESSOR_EMAIL}. Replace it with {OWNER_EMAIL}?" in page.text
        assert await connected_as(stack) == PROFESSOR_EMAIL  # nothing changed yet
        asked = await second.http.get("/dashboard/zoom")
        assert f"Replace with {OWNER_EMAIL}" in asked.text and f"Keep {PROFESSOR_EMAIL}" in asked.text
        [pending_id] = {part.split("/")[0] for part in asked.text.split("/dashboard/zoom/pending/")[1:]}

        async with browser(stack) as other:  # another signed-in browser cannot answer for this one
            answered = await other.http.post(
                f"/dashboard/zoom/pending/{pending_id}/replace", data={"csrf_token": other.csrf}
            )
            assert "expired or was already answered" in answered.text
        assert await connected_as(stack) == PROFESSOR_EMAIL

        forged = await second.http.post(f"/dashboard/zoom/pending/{pending_id}/replace", data={"csrf_token": "x"})
        assert forged.status_code == 403
        kept = await second.http.post(f"/dashboard/zoom/pending/{pending_id}/keep", data={"csrf_token": second.csrf})
        assert "kept as it was" in kept.text
        assert await connected_as(stack) == PROFESSOR_EMAIL

        await connect(second, APP_OWNER)
        asked = await second.http.get("/dashboard/zoom")
        [pending_id] = {part.split("/")[0] for part in asked.text.split("/dashboard/zoom/pending/")[1:]}
        replaced = await second.http.post(
            f"/dashboard/zoom/pending/{pending_id}/replace", data={"csrf_token": second.csrf}
        )
        assert "now connected with the new account" in replaced.text
    assert await connected_as(stack) == OWNER_EMAIL
    with contextlib.closing(sqlite3.connect(stack.database)) as conn:
        assert conn.execute("SELECT user_id FROM zoom_grants").fetchall() == [(APP_OWNER,)]
        assert conn.execute("SELECT COUNT(*) FROM zoom_pending_grants").fetchone() == (0,)


async def test_the_same_account_reconnecting_just_refreshes(stack: Stack) -> None:
    async with browser(stack) as b:
        await connect(b, PROFESSOR)
        before = await stack.repository.zoom_grants.get(ADMIN_ID)
        page = await connect(b, PROFESSOR)
    assert page.status_code == 200 and "connection refreshed" in page.text and "Replace" not in page.text
    after = await stack.repository.zoom_grants.get(ADMIN_ID)
    assert before is not None and after is not None
    assert after.user_id == PROFESSOR and after.refresh_token != before.refresh_token


async def test_each_professor_connects_their_own_zoom_and_their_sessions_use_it(stack: Stack) -> None:
    added = await stack.api.post("/api/professors", json={"name": "Prof. Grace Hopper", "email": "grace@uni.test"})
    assert added.status_code == 201, added.text
    grace_id, grace_token = added.json()["professor"]["id"], added.json()["token"]
    grace = {"Authorization": f"Bearer {grace_token['token']}"}

    async def grant_of(headers: dict[str, str] | None = None) -> dict[str, object]:
        body: dict[str, object] = (await stack.api.get("/api/zoom/grant", headers=headers)).json()
        return body

    async with browser(stack) as admin:
        assert (await connect(admin, PROFESSOR)).status_code == 200
    assert (await grant_of(grace))["connected"] is False  # the admin's connection is not Grace's

    create = session_body(meeting={"create": True, "topic": "Office hours"})
    refused = await stack.api.post("/api/sessions", json=create, headers=grace)
    assert refused.status_code == 409 and refused.json()["error"] == "zoom_not_connected"
    assert "you have not connected it yet" in refused.json()["message"]

    async with browser(stack, (grace_id, grace_token["id"])) as b:
        taken = await connect(b, PROFESSOR)  # the admin's Zoom account
        assert taken.status_code == 409
        assert "connected to another professor" in taken.text and "your own account" in taken.text
        assert (await grant_of(grace))["connected"] is False
        page = await connect(b, APP_OWNER)
        assert page.status_code == 200 and "Zoom is connected" in page.text
        mine = await b.http.get("/dashboard/zoom")
        assert f"Your Zoom is connected as <strong>{OWNER_EMAIL}</strong>" in mine.text
    assert (await grant_of(grace))["email"] == OWNER_EMAIL
    assert (await grant_of())["email"] == PROFESSOR_EMAIL  # the admin's is unchanged

    assert (await stack.api.post("/api/sessions", json=create, headers=grace)).status_code == 202
    # Meetings are created with the grant of the session's professor: each in their own Zoom account.
    client = ZoomClient.for_settings(stack.repository.zoom_grants, stack.settings)
    assert client is not None
    try:
        hers = await client.create_meeting(grace_id, topic="Grace's", rooms=["A"])
        admins = await client.create_meeting(ADMIN_ID, topic="Admin's", rooms=["A"])
        obf = await client.obf_token(hers.number, grace_id)
    finally:
        await client.aclose()
    hosts = {
        m.number: (await stack.zoom.admin.get(f"/fake/meetings/{m.number}")).json()["host_user_id"]
        for m in (hers, admins)
    }
    assert hosts == {hers.number: APP_OWNER, admins.number: PROFESSOR}
    assert obf

    assert (await stack.api.delete("/api/zoom/grant", headers=grace)).json() == {
        "connected": False,
        "email": None,
        "user_id": None,
    }
    assert (await grant_of())["email"] == PROFESSOR_EMAIL
    assert (await stack.api.delete("/api/zoom/grant", headers=grace)).status_code == 404
