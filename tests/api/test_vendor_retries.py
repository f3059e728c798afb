"""Vendor calls that create something (a Zoom meeting, the OAuth code and refresh grants, a LiveAvatar session
token) are sent again only when the vendor surely did not act: no connection was made, or it answered 429.
Never after a 5xx or a timeout. Reads keep their retries. Concurrent callers share one Zoom token refresh."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.secrets_at_rest import open_repository, open_secret_box
from farm.vendors.liveavatar_client import LiveAvatarClient
from farm.vendors.vendor_http import VendorError
from farm.vendors.zoom_client import Pkce, ZoomClient
from state.professors_repository import ADMIN_ID
from state.repository import Repository
from tests.api.conftest import make_settings
from tests.fakes_zoom.harness import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, PROFESSOR, running_fake_zoom
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.servers import serve_app

Outcome = httpx.Response | Exception


@pytest.fixture
async def repository(tmp_path: Path) -> AsyncIterator[Repository]:
    settings = make_settings(tmp_path)
    repository = await open_repository(settings, open_secret_box(settings))
    yield repository
    await repository.close()


class Script:
    """Answers requests to one path from a list of outcomes (then 200 with `ok`), counting them."""

    def __init__(self, path: str, outcomes: list[Outcome], ok: dict[str, Any]) -> None:
        self.path, self.outcomes, self.ok = path, list(outcomes), ok
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != self.path:
            return httpx.Response(200, json={"id": "u1", "email": "ada@example.edu", "token": "obf-token"})
        self.calls += 1
        outcome = self.outcomes.pop(0) if self.outcomes else httpx.Response(200, json=self.ok)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def zoom(repository: Repository, handler: Callable[[httpx.Request], httpx.Response]) -> ZoomClient:
    return ZoomClient(
        repository.zoom_grants,
        api_base="http://zoom.test",
        oauth_base="http://zoom.test",
        client_id="c",
        client_secret="s",
        redirect_uri="http://af.test/api/zoom/callback",
        transport=httpx.MockTransport(handler),
    )


async def connected(repository: Repository, *, expires_at: float) -> None:
    await repository.zoom_grants.save(
        professor_id=ADMIN_ID,
        user_id="u1",
        email=None,
        refresh_token="rt",
        access_token="at",
        access_expires_at=expires_at,
    )


def refused_connection(request: httpx.Request | None = None) -> Exception:
    return httpx.ConnectError("connection refused")


MEETING = {"id": 85746065432, "password": "pw", "join_url": "https://zoom.test/j/85746065432"}
TOKENS = {"access_token": "at2", "refresh_token": "rt2", "expires_in": 3600}


@pytest.mark.parametrize(
    "failure", [httpx.Response(500, json={"message": "oops"}), httpx.Response(503), httpx.ReadTimeout("slow")]
)
async def test_a_meeting_is_never_created_twice_after_an_answer_was_lost(
    repository: Repository, failure: Outcome
) -> None:
    await connected(repository, expires_at=time.time() + 3600)
    script = Script("/v2/users/me/meetings", [failure], MEETING)
    client = zoom(repository, script)
    try:
        with pytest.raises(VendorError):
            await client.create_meeting(ADMIN_ID, topic="CS 101", rooms=["A"])
        assert script.calls == 1
        # Refused connections and a 429 mean Zoom did nothing: those are sent again.
        script.outcomes = [refused_connection(), httpx.Response(429, json={"message": "slow down"})]
        created = await client.create_meeting(ADMIN_ID, topic="CS 101", rooms=["A"])
        assert created.number == "85746065432" and script.calls == 4
    finally:
        await client.aclose()


async def test_reads_keep_their_retries(repository: Repository) -> None:
    await connected(repository, expires_at=time.time() + 3600)
    script = Script("/v2/users/me/token", [httpx.Response(500), httpx.ReadTimeout("slow")], {"token": "obf"})
    client = zoom(repository, script)
    try:
        assert await client.obf_token("85746065432", ADMIN_ID) == "obf"
        assert script.calls == 3
        meeting = Script("/v2/users/me/meetings", [httpx.Response(502)], MEETING)
        client2 = zoom(repository, meeting)
        with pytest.raises(VendorError):
            await client2.create_meeting(ADMIN_ID, topic="CS 101", rooms=["A"])
        await client2.aclose()
        assert meeting.calls == 1
    finally:
        await client.aclose()


@pytest.mark.parametrize("grant", ["code", "refresh"])
async def test_oauth_grants_are_not_sent_again_after_a_5xx(repository: Repository, grant: str) -> None:
    script = Script("/oauth/token", [httpx.Response(500)], TOKENS)
    client = zoom(repository, script)
    try:
        with pytest.raises(VendorError):
            if grant == "code":
                await client.exchange_code("code", "v" * 43)
            else:
                await connected(repository, expires_at=0)
                await client.obf_token("85746065432", ADMIN_ID)
        assert script.calls == 1
    finally:
        await client.aclose()


@pytest.mark.parametrize("failure", [httpx.Response(500, json={"code": 500}), httpx.ReadTimeout("slow")])
async def test_a_liveavatar_session_token_is_not_minted_twice(failure: Outcome) -> None:
    ok = {"code": 1000, "data": {"session_id": "s1", "session_token": "t1"}}
    script = Script("/v1/sessions/token", [failure], ok)
    client = LiveAvatarClient("http://la.test", "key", max_wait=0.5)
    await client.aclose()
    # The client's own httpx client, pointed at the script (the test's only way in without a network).
    client._client = httpx.AsyncClient(base_url="http://la.test", transport=httpx.MockTransport(script))
    try:
        with pytest.raises(VendorError):
            await client.session_token(avatar_id="a", context_id=None)
        assert script.calls == 1
        script.outcomes = [refused_connection(), httpx.Response(429, json={"code": 429})]
        token = await client.session_token(avatar_id="a", context_id=None)
        assert token.session_id == "s1" and script.calls == 4
    finally:
        await client.aclose()


async def test_concurrent_callers_share_one_token_refresh(repository: Repository) -> None:
    refreshes = 0

    def counting(app: Any) -> Any:
        async def asgi(scope: Any, receive: Any, send: Any) -> None:
            nonlocal refreshes
            if scope["type"] == "http" and scope["path"] == "/oauth/token":
                refreshes += 1
            await app(scope, receive, send)

        return asgi

    async with running_fake_zoom() as fake:
        meeting = await fake.create_meeting(breakout_rooms=["A"])
        async with serve_app(counting(fake.app)) as counted:
            client = ZoomClient(
                repository.zoom_grants,
                api_base=counted.base_url,
                oauth_base=counted.base_url,
                client_id=OAUTH_CLIENT_ID,
                client_secret=OAUTH_CLIENT_SECRET,
                redirect_uri="https://af.test/api/zoom/callback",
            )
            try:
                pkce = Pkce.new()
                async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as http:
                    approved = await http.get(f"{client.authorize_url('s', pkce.challenge)}&user={PROFESSOR}")
                code = httpx.URL(approved.headers["location"]).params["code"]
                authorization = await client.exchange_code(code, pkce.verifier)
                await repository.zoom_grants.save(
                    professor_id=ADMIN_ID,
                    user_id=authorization.user_id,
                    email=None,
                    refresh_token=authorization.refresh_token,
                    access_token=authorization.access_token,
                    access_expires_at=0,  # expired: every caller below needs a refresh
                )
                refreshes = 0
                obf = await asyncio.gather(*(client.obf_token(str(meeting["number"]), ADMIN_ID) for _ in range(6)))
            finally:
                await client.aclose()
    assert refreshes == 1
    assert len(set(obf)) == 6  # each caller still got its own OBF token
