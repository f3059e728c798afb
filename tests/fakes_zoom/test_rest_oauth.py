"""Zoom OAuth and REST stand-in, and the token-protected host controls, over HTTP (httpx, in-process ASGI)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from fakes.zoom import create_app
from tests.fakes_zoom.harness import (
    ADMIN_TOKEN,
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    PROFESSOR,
    config_for_tests,
)

REDIRECT = "https://app.example/oauth/callback"
BASIC = (OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET)


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(config_for_tests(access_token_ttl_s=2))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://zoom.test") as client:
        yield client


async def authorize(http: httpx.AsyncClient, user: str = PROFESSOR, state: str = "xyz") -> str:
    response = await http.get(
        "/oauth/authorize",
        params={"response_type": "code", "client_id": OAUTH_CLIENT_ID, "redirect_uri": REDIRECT, "state": state},
    )
    assert response.status_code == 200
    assert "Allow as Ada Professor" in response.text
    decision = await http.post(
        "/oauth/authorize",
        data={"client_id": OAUTH_CLIENT_ID, "redirect_uri": REDIRECT, "state": state, "user_id": user},
    )
    assert decision.status_code == 302
    location = httpx.URL(decision.headers["location"])
    assert str(location).startswith(REDIRECT)
    assert location.params["state"] == state
    return location.params["code"]


async def tokens(http: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await http.post("/oauth/token", data=form, auth=BASIC)


class TestOAuth:
    async def test_authorization_code_then_refresh(self, http: httpx.AsyncClient) -> None:
        code = await authorize(http)
        response = await tokens(http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 2
        assert "user:read:token" in body["scope"]
        me = await http.get("/v2/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.json()["email"] == "professor@sim.avatarfarm.test"
        # Codes are single-use.
        again = await tokens(http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        refreshed = await tokens(http, grant_type="refresh_token", refresh_token=body["refresh_token"])
        assert refreshed.status_code == 200
        assert refreshed.json()["access_token"] != body["access_token"]
        # Refresh tokens rotate: the old one is spent.
        stale = await tokens(http, grant_type="refresh_token", refresh_token=body["refresh_token"])
        assert stale.status_code == 400

    async def test_access_tokens_expire(self, http: httpx.AsyncClient) -> None:
        code = await authorize(http)
        access = (await tokens(http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)).json()
        await asyncio.sleep(2.1)
        response = await http.get("/v2/users/me", headers={"Authorization": f"Bearer {access['access_token']}"})
        assert response.status_code == 401
        assert response.json() == {"code": 124, "message": "Access token is expired."}

    async def test_client_authentication_and_bad_requests(self, http: httpx.AsyncClient) -> None:
        code = await authorize(http)
        wrong = await http.post(
            "/oauth/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
            auth=(OAUTH_CLIENT_ID, "wrong"),
        )
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        no_basic = await http.post("/oauth/token", data={"grant_type": "authorization_code", "code": code})
        assert no_basic.status_code == 401
        mismatch = await tokens(http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT + "x")
        assert mismatch.status_code == 400
        grant = await tokens(http, grant_type="password")
        assert grant.json()["error"] == "unsupported_grant_type"
        unknown_client = await http.get("/oauth/authorize", params={"client_id": "nope", "redirect_uri": REDIRECT})
        assert unknown_client.status_code == 400
        denied = await http.post(
            "/oauth/authorize",
            data={"client_id": OAUTH_CLIENT_ID, "redirect_uri": REDIRECT, "state": "s", "decision": "deny"},
        )
        assert httpx.URL(denied.headers["location"]).params["error"] == "access_denied"
        assert base64  # basic auth is built by httpx

    async def test_auto_approval_for_a_named_user(self, http: httpx.AsyncClient) -> None:
        response = await http.get(
            "/oauth/authorize",
            params={"response_type": "code", "client_id": OAUTH_CLIENT_ID, "redirect_uri": REDIRECT, "user": PROFESSOR},
        )
        assert response.status_code == 302
        assert "code" in httpx.URL(response.headers["location"]).params


async def bearer(http: httpx.AsyncClient, user: str = PROFESSOR) -> dict[str, str]:
    code = await authorize(http, user)
    response = await tokens(http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


class TestRestApi:
    async def test_create_and_get_meeting_with_breakout_rooms(self, http: httpx.AsyncClient) -> None:
        headers = await bearer(http)
        body = {
            "topic": "Ethics 101",
            "type": 2,
            "password": "abc123",
            "settings": {
                "waiting_room": True,
                "breakout_room": {
                    "enable": True,
                    "rooms": [{"name": "Room 1", "participants": ["a@s.test"]}, {"name": "Room 2"}],
                },
            },
        }
        created = await http.post("/v2/users/me/meetings", json=body, headers=headers)
        assert created.status_code == 201
        meeting = created.json()
        assert meeting["topic"] == "Ethics 101"
        assert meeting["host_id"] == PROFESSOR
        assert meeting["status"] == "waiting"
        assert meeting["settings"]["breakout_room"]["rooms"] == [
            {"name": "Room 1", "participants": ["a@s.test"]},
            {"name": "Room 2", "participants": []},
        ]
        assert meeting["join_url"] == f"http://zoom.test/join/{meeting['id']}?pwd=abc123"
        fetched = await http.get(f"/v2/meetings/{meeting['id']}", headers=headers)
        assert fetched.json() == meeting
        # The meeting belongs to the professor's (external) account.
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        view = (await http.get(f"/fake/meetings/{meeting['id']}", headers=admin)).json()
        assert view["external_account"] is True
        assert view["waiting_room"] is True
        # Other accounts do not see it.
        owner = await bearer(http, "sim-app-owner")
        assert (await http.get(f"/v2/meetings/{meeting['id']}", headers=owner)).json()["code"] == 3001
        ended = await http.patch(f"/v2/meetings/{meeting['id']}/status", json={"action": "end"}, headers=headers)
        assert ended.status_code == 204

    async def test_presence_says_in_a_zoom_meeting_while_the_user_is_in_one(self, http: httpx.AsyncClient) -> None:
        headers = await bearer(http)
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        presence = await http.get("/v2/users/me/presence_status", headers=headers)
        assert presence.json() == {"status": "Available"}
        created = await http.post("/fake/meetings", json={"external_account": True}, headers=admin)
        number = created.json()["number"]
        added = await http.post(
            f"/fake/meetings/{number}/participants", json={"name": "Prof", "zoom_user_id": PROFESSOR}, headers=admin
        )
        assert added.status_code == 201, added.text
        presence = await http.get(f"/v2/users/{PROFESSOR}/presence_status", headers=headers)
        assert presence.json() == {"status": "In_A_Zoom_Meeting"}
        assert (await http.get(f"/fake/meetings/{number}", headers=admin)).json()["host_emails"] == []

    async def test_user_tokens(self, http: httpx.AsyncClient) -> None:
        headers = await bearer(http)
        obf = await http.get(f"/v2/users/{PROFESSOR}/token", params={"type": "onbehalf", "ttl": 600}, headers=headers)
        assert obf.status_code == 200 and obf.json()["token"]
        zak = await http.get("/v2/users/me/token", params={"type": "zak"}, headers=headers)
        assert zak.json()["token"] != obf.json()["token"]
        too_long = await http.get(
            "/v2/users/me/token", params={"type": "onbehalf", "ttl": 366 * 24 * 3600}, headers=headers
        )
        assert too_long.status_code == 400
        other_user = await http.get("/v2/users/sim-app-owner/token", params={"type": "onbehalf"}, headers=headers)
        assert other_user.status_code == 404
        no_meeting = await http.get(
            "/v2/users/me/token", params={"type": "onbehalf", "meeting_id": "12345678901"}, headers=headers
        )
        assert no_meeting.json()["code"] == 3001
        unauthenticated = await http.get("/v2/users/me/token", params={"type": "onbehalf"})
        assert unauthenticated.status_code == 401
        assert unauthenticated.json() == {"code": 124, "message": "Invalid access token."}

    async def test_bad_meeting_body(self, http: httpx.AsyncClient) -> None:
        headers = await bearer(http)
        bad = await http.post(
            "/v2/users/me/meetings", json={"settings": {"breakout_room": {"rooms": [{"x": 1}]}}}, headers=headers
        )
        assert bad.status_code == 400


class TestHostControls:
    async def test_admin_token_is_required(self, http: httpx.AsyncClient) -> None:
        assert (await http.get("/fake/meetings")).status_code == 401
        wrong = await http.get("/fake/meetings", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401

    async def test_meeting_lifecycle_and_validation(self, http: httpx.AsyncClient) -> None:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        created = await http.post(
            "/fake/meetings",
            json={"number": "12345678901", "breakout_rooms": ["A", "B"], "breakout_options": {"waitSeconds": 5}},
            headers=admin,
        )
        assert created.status_code == 201
        view = created.json()
        assert view["external_account"] is False
        assert [r["name"] for r in view["breakout"]["rooms"]] == ["A", "B"]
        assert view["breakout"]["options"]["waitSeconds"] == 5
        duplicate = await http.post("/fake/meetings", json={"number": "12345678901"}, headers=admin)
        assert duplicate.status_code == 409
        for bad in ({"number": "12"}, {"unknown": 1}, {"audio_playback": "speakers"}, {"breakout_rooms": ["A", "A"]}):
            response = await http.post("/fake/meetings", json=bad, headers=admin)
            assert response.status_code == 422, bad
        patched = await http.patch("/fake/meetings/12345678901", json={"waiting_room": True}, headers=admin)
        assert patched.json()["waiting_room"] is True
        host = await http.post(
            "/fake/meetings/12345678901/participants", json={"name": "Prof", "host": True}, headers=admin
        )
        assert host.status_code == 201 and host.json()["on_hold"] is False
        guest = await http.post("/fake/meetings/12345678901/participants", json={"name": "Guest"}, headers=admin)
        assert guest.json()["on_hold"] is True
        roster = (await http.get("/fake/meetings/12345678901/roster", headers=admin)).json()
        assert [(p["name"], p["location"], p["virtual"]) for p in roster["participants"]] == [
            ("Prof", "main", True),
            ("Guest", "waiting_room", True),
        ]
        await http.post("/fake/meetings/12345678901/admit", json={"name": "Guest"}, headers=admin)
        await http.post("/fake/meetings/12345678901/breakout/open", json={}, headers=admin)
        moved = await http.post(
            "/fake/meetings/12345678901/breakout/move", json={"name": "Guest", "room": "B"}, headers=admin
        )
        guest_entry = next(p for p in moved.json()["participants"] if p["name"] == "Guest")
        assert guest_entry["location"] == "breakout" and guest_entry["room"]["name"] == "B"
        gone = await http.delete("/fake/meetings/12345678901", headers=admin)
        assert gone.status_code == 204
        assert (await http.get("/fake/meetings/12345678901", headers=admin)).status_code == 404

    @pytest.mark.parametrize("path", ["/sdk/zoomus-websdk-embedded.js", "/sdk/embedded.mjs"])
    async def test_sdk_scripts_are_served_cross_origin(self, http: httpx.AsyncClient, path: str) -> None:
        response = await http.get(path, headers={"Origin": "http://127.0.0.1:9999"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/javascript")
        assert response.headers["cross-origin-resource-policy"] == "cross-origin"
        assert response.headers["access-control-allow-origin"] == "http://127.0.0.1:9999"
        assert response.headers["access-control-allow-credentials"] == "true"
        assert "ZoomMtgEmbedded" in response.text

    async def test_participant_page_never_shows_the_secret(self, http: httpx.AsyncClient) -> None:
        from tests.fakes_zoom.harness import SDK_SECRET

        page = await http.get("/join/12345678901", params={"name": "Ann", "room": "Room 1"})
        assert page.status_code == 200
        assert SDK_SECRET not in page.text
        assert '"userName": "Ann"' in page.text and '"room": "Room 1"' in page.text
        assert "/sdk/zoomus-websdk-embedded.js" in page.text
