"""The fake Zoom checks PKCE as Zoom does: once the authorize request carried a code_challenge, the code is
exchanged only with the matching code_verifier, and a refusal has Zoom's {"reason", "error"} shape."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from fakes.zoom import create_app
from tests.fakes_zoom.harness import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, PROFESSOR, config_for_tests

REDIRECT = "https://app.example/oauth/callback"
BASIC = (OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET)


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(config_for_tests()))
    async with httpx.AsyncClient(transport=transport, base_url="http://zoom.test") as client:
        yield client


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


async def code_for(http: httpx.AsyncClient, *, consent_page: bool = False, **pkce: str) -> str:
    params = {"response_type": "code", "client_id": OAUTH_CLIENT_ID, "redirect_uri": REDIRECT, "state": "s", **pkce}
    if consent_page:  # the professor clicks "Allow" on the consent page: the challenge travels with the form
        page = await http.get("/oauth/authorize", params=params)
        assert page.status_code == 200
        form = {k: v for k, v in params.items() if k != "response_type"}
        response = await http.post("/oauth/authorize", data={**form, "user_id": PROFESSOR})
    else:
        response = await http.get("/oauth/authorize", params={**params, "user": PROFESSOR})
    assert response.status_code == 302, response.text
    return httpx.URL(response.headers["location"]).params["code"]


async def exchange(http: httpx.AsyncClient, code: str, **extra: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    return await http.post("/oauth/token", data=form, auth=BASIC)


@pytest.mark.parametrize("consent_page", [False, True])
async def test_an_s256_code_needs_its_verifier(http: httpx.AsyncClient, consent_page: bool) -> None:
    verifier = secrets.token_urlsafe(48)
    code = await code_for(http, consent_page=consent_page, code_challenge=s256(verifier), code_challenge_method="S256")
    missing = await exchange(http, code)
    assert missing.status_code == 400
    assert missing.json() == {"reason": "Invalid request : Missing code_verifier.", "error": "invalid_request"}
    wrong = await exchange(http, code, code_verifier=secrets.token_urlsafe(48))
    assert wrong.status_code == 400
    assert wrong.json() == {"reason": "Invalid code_verifier.", "error": "invalid_grant"}
    plain_instead = await exchange(http, code, code_verifier=s256(verifier))  # the challenge is not the verifier
    assert plain_instead.status_code == 400
    right = await exchange(http, code, code_verifier=verifier)
    assert right.status_code == 200, right.text
    assert right.json()["refresh_token"]
    again = await exchange(http, code, code_verifier=verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # a code is single-use
    # Without a challenge (PKCE is optional for a confidential client), no verifier is needed.
    assert (await exchange(http, await code_for(http))).status_code == 200


async def test_a_verifier_outside_rfc_7636_is_refused(http: httpx.AsyncClient) -> None:
    short = "a" * 42
    code = await code_for(http, code_challenge=s256(short), code_challenge_method="S256")
    response = await exchange(http, code, code_verifier=short)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_an_unknown_challenge_method_is_refused_at_authorize(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": OAUTH_CLIENT_ID,
            "redirect_uri": REDIRECT,
            "code_challenge": "x" * 43,
            "code_challenge_method": "S512",
            "user": PROFESSOR,
        },
    )
    assert response.status_code == 400 and "S256" in response.text
