"""REST contract of the session endpoints: envelope, token JWT, start/stop/keep-alive, listing, auth and errors."""

from __future__ import annotations

import uuid
from typing import Any

import jwt

from fakes.liveavatar.avatars import WAYNE_ID
from tests.fakes_liveavatar.client import ADA_ID, Fake

NOVA_DEPLOYING_ID = "9f0a6c3d-2b7e-4d1a-b5c8-1e4f7a9d0c66"


def claims(token: str) -> dict[str, Any]:
    """What the web SDK reads: the JWT payload, decoded without the (server-side) key."""
    payload: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return payload


def assert_error(response: Any, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["data"] is None and body["message"], body


async def test_full_token_is_a_jwt_carrying_start_session_data(fake: Fake) -> None:
    context_id = await fake.create_context()
    response = await fake.api(
        "POST",
        "/v1/sessions/token",
        json={
            "mode": "FULL",
            "avatar_id": WAYNE_ID,
            "avatar_persona": {"context_id": context_id, "language": "en", "voice_settings": {"speed": 1.1}},
            "video_settings": {"quality": "medium", "encoding": "VP8"},
            "interactivity_type": "PUSH_TO_TALK",
            "max_session_duration": 600,
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 1000 and body["message"] == "success"
    session_id, token = body["data"]["session_id"], body["data"]["session_token"]
    assert uuid.UUID(session_id)
    data = claims(token)["start_session_data"]
    assert data["mode"] == "FULL" and data["avatar_id"] == WAYNE_ID
    assert data["avatar_persona"]["context_id"] == context_id
    assert data["video_settings"] == {"quality": "medium", "encoding": "VP8"}
    assert data["interactivity_type"] == "PUSH_TO_TALK"
    session = await fake.session(session_id)
    assert session["status"] == "CREATED" and session["mode"] == "FULL" and session["max_session_duration"] == 600


async def test_mode_defaults_to_full_and_lite_bodies_are_accepted(fake: Fake) -> None:
    full = claims((await fake.token())["session_token"])["start_session_data"]
    assert full["mode"] == "FULL"
    lite = await fake.token(
        mode="LITE",
        avatar_persona=None,
        livekit_config={"livekit_url": "wss://example.invalid", "livekit_room": "r", "livekit_client_token": "t"},
    )
    assert claims(lite["session_token"])["start_session_data"]["mode"] == "LITE"
    started = await fake.bearer("POST", "/v1/sessions/start", lite["session_token"])
    data = started.json()["data"]
    assert data["ws_url"].startswith("ws://") and "/v1/ws/lite" in data["ws_url"]


async def test_token_requires_the_api_key(fake: Fake) -> None:
    body = {"avatar_id": WAYNE_ID, "avatar_persona": {}}
    assert_error(await fake.http.post("/v1/sessions/token", json=body), 401, 401)
    wrong = await fake.http.post("/v1/sessions/token", json=body, headers={"X-API-KEY": "nope"})
    assert_error(wrong, 401, 401)
    token = (await fake.token())["session_token"]
    as_bearer = await fake.bearer("POST", "/v1/sessions/token", token, json=body)
    assert_error(as_bearer, 403, 403)


async def test_token_bodies_are_validated_with_422_details(fake: Fake) -> None:
    cases: list[tuple[Any, str]] = [
        ({"avatar_persona": {}}, "avatar_id"),
        ({"avatar_id": "not-a-uuid", "avatar_persona": {}}, "avatar_id"),
        ({"avatar_id": WAYNE_ID}, "avatar_persona"),
        ({"avatar_id": WAYNE_ID, "avatar_persona": {}, "video_settings": {"quality": "ultra"}}, "quality"),
        ({"avatar_id": WAYNE_ID, "avatar_persona": {}, "mode": "CUSTOM"}, "mode"),
        ({"avatar_id": WAYNE_ID, "avatar_persona": {}, "interactivity_type": "WALKIE"}, "interactivity_type"),
        ({"avatar_id": WAYNE_ID, "avatar_persona": {}, "max_session_duration": 0}, "max_session_duration"),
        ({"avatar_id": WAYNE_ID, "avatar_persona": {}, "max_session_duration": 10**6}, "max_session_duration"),
        (
            {"avatar_id": WAYNE_ID, "avatar_persona": {"voice_settings": {"provider": "elevenLabs", "speed": 9}}},
            "speed",
        ),
        ({"avatar_id": WAYNE_ID, "avatar_persona": {"stt_config": {"provider": "whisper"}}}, "provider"),
        ({"avatar_id": WAYNE_ID, "avatar_persona": {}, "dynamic_variables": {f"k{i}": "v" for i in range(51)}}, ""),
        ([1, 2], ""),
    ]
    for body, field in cases:
        response = await fake.api("POST", "/v1/sessions/token", json=body)
        assert response.status_code == 422, (body, response.text)
        detail = response.json()["detail"]
        assert isinstance(detail, list) and detail, detail
        assert all({"loc", "msg", "type"} <= set(item) for item in detail)
        assert detail[0]["loc"][0] == "body"
        if field:
            assert any(field in [str(part) for part in item["loc"]] for item in detail), (field, detail)
    not_json = await fake.http.post(
        "/v1/sessions/token", content=b"{oops", headers={**fake.headers, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 422


async def test_token_business_errors_have_their_own_codes(fake: Fake) -> None:
    base: dict[str, Any] = {"avatar_persona": {}}
    unknown_avatar = await fake.api("POST", "/v1/sessions/token", json={**base, "avatar_id": str(uuid.uuid4())})
    assert_error(unknown_avatar, 404, 4041)
    deploying = await fake.api("POST", "/v1/sessions/token", json={**base, "avatar_id": NOVA_DEPLOYING_ID})
    assert_error(deploying, 400, 4042)
    sandbox = await fake.api("POST", "/v1/sessions/token", json={**base, "avatar_id": ADA_ID, "is_sandbox": True})
    assert_error(sandbox, 400, 4043)
    voice = {"avatar_id": WAYNE_ID, "avatar_persona": {"voice_id": str(uuid.uuid4())}}
    assert_error(await fake.api("POST", "/v1/sessions/token", json=voice), 404, 4044)
    context = {"avatar_id": WAYNE_ID, "avatar_persona": {"context_id": str(uuid.uuid4())}}
    assert_error(await fake.api("POST", "/v1/sessions/token", json=context), 404, 4045)
    templated = await fake.create_context(opening_text="Welcome to ${room_name}!")
    missing = {"avatar_id": WAYNE_ID, "avatar_persona": {"context_id": templated}}
    assert_error(await fake.api("POST", "/v1/sessions/token", json=missing), 400, 4046)
    filled = await fake.api("POST", "/v1/sessions/token", json={**missing, "dynamic_variables": {"room_name": "R1"}})
    assert filled.status_code == 200
    session = fake.service.registry.get(filled.json()["data"]["session_id"])
    assert session is not None and session.context is not None
    assert session.context.opening_text == "Welcome to R1!"


async def test_start_returns_the_fake_livekit_room_in_the_real_shape(fake: Fake) -> None:
    token = await fake.token(max_session_duration=900)
    response = await fake.bearer("POST", "/v1/sessions/start", token["session_token"])
    assert response.status_code == 201
    body = response.json()
    assert body["code"] == 1000
    data = body["data"]
    assert data["session_id"] == token["session_id"]
    livekit = (await fake.admin("GET", "/admin/livekit")).json()["data"]
    assert data["livekit_url"] == livekit["url"] and livekit["url"].startswith("ws://127.0.0.1:")
    # A LiveKit access token for the client's identity, signed with the fake's own LiveKit key, for this room only.
    grant = jwt.decode(data["livekit_client_token"], livekit["api_secret"], algorithms=["HS256"])
    assert grant["iss"] == livekit["api_key"] and grant["sub"] == "client"
    assert grant["video"]["room"] == f"liveavatar-{token['session_id']}" and grant["video"]["roomJoin"] is True
    assert grant["video"]["canPublish"] is True and grant["video"]["canPublishData"] is True
    assert data["livekit_agent_token"] is None
    assert data["max_session_duration"] == 900
    # Exactly the real service's fields (ws_url only in LITE): nothing for a client other than the vendor's SDK.
    real_fields = {"session_id", "livekit_url", "livekit_client_token", "livekit_agent_token", "max_session_duration"}
    assert set(data) == real_fields
    session = await fake.session(token["session_id"])
    assert session["status"] == "ACTIVE" and session["credits_consumed"] == 2


async def test_start_auth_and_lifecycle_errors(fake: Fake) -> None:
    token = await fake.token()
    assert_error(await fake.http.post("/v1/sessions/start"), 401, 401)
    assert_error(await fake.api("POST", "/v1/sessions/start"), 403, 403)
    assert_error(await fake.bearer("POST", "/v1/sessions/start", "not-a-jwt"), 401, 401)
    forged = jwt.encode(
        {"kind": "session", "session_id": token["session_id"], "exp": 2**31},
        "a-guessed-secret-that-is-long-enough!",
        "HS256",
    )
    assert_error(await fake.bearer("POST", "/v1/sessions/start", forged), 401, 401)
    assert (await fake.bearer("POST", "/v1/sessions/start", token["session_token"])).status_code == 201
    assert_error(await fake.bearer("POST", "/v1/sessions/start", token["session_token"]), 400, 4009)
    await fake.bearer("POST", "/v1/sessions/stop", token["session_token"])
    assert_error(await fake.bearer("POST", "/v1/sessions/start", token["session_token"]), 400, 4010)


async def test_expired_session_token_is_refused(make_fake: Any) -> None:
    fake = await make_fake(token_ttl_s=-1)
    token = await fake.token()
    assert_error(await fake.bearer("POST", "/v1/sessions/start", token["session_token"]), 401, 4011)


async def test_stop_with_session_token_or_api_key_keeps_the_reason(fake: Fake) -> None:
    by_sdk = await fake.started()
    response = await fake.bearer("POST", "/v1/sessions/stop", by_sdk["session_token"])  # the SDK sends no body
    assert response.status_code == 200 and response.json()["code"] == 1000
    assert (await fake.session(by_sdk["session_id"]))["end_reason"] == "USER_CLOSED"

    by_server = await fake.started()
    body = {"session_id": by_server["session_id"], "reason": "ZOMBIE_SESSION_REAP"}
    assert (await fake.api("POST", "/v1/sessions/stop", json=body)).status_code == 200
    again = await fake.api("POST", "/v1/sessions/stop", json={**body, "reason": "USER_CLOSED"})
    assert again.status_code == 200 and again.json()["message"] == "Session already stopped"
    ended = await fake.session(by_server["session_id"])
    assert ended["end_reason"] == "ZOMBIE_SESSION_REAP" and ended["status"] == "ENDED" and ended["end_at"]

    never_started = await fake.token()
    body = {"session_id": never_started["session_id"], "reason": "USER_DISCONNECTED"}
    assert (await fake.api("POST", "/v1/sessions/stop", json=body)).status_code == 200
    assert (await fake.session(never_started["session_id"]))["credits_consumed"] == 0


async def test_stop_errors(fake: Fake) -> None:
    first, second = await fake.started(), await fake.started()
    assert (await fake.api("POST", "/v1/sessions/stop", json={})).status_code == 422
    bad_reason = {"session_id": first["session_id"], "reason": "BORED"}
    assert (await fake.api("POST", "/v1/sessions/stop", json=bad_reason)).status_code == 422
    unknown = await fake.api("POST", "/v1/sessions/stop", json={"session_id": str(uuid.uuid4())})
    assert_error(unknown, 404, 4004)
    other = await fake.bearer(
        "POST", "/v1/sessions/stop", first["session_token"], json={"session_id": second["session_id"]}
    )
    assert_error(other, 403, 403)
    assert_error(await fake.http.post("/v1/sessions/stop"), 401, 401)
    assert (await fake.session(second["session_id"]))["status"] == "ACTIVE"


async def test_keep_alive(fake: Fake) -> None:
    live = await fake.started()
    assert (await fake.bearer("POST", "/v1/sessions/keep-alive", live["session_token"])).json()["code"] == 1000
    by_key = await fake.api("POST", "/v1/sessions/keep-alive", json={"session_id": live["session_id"]})
    assert by_key.json()["code"] == 1000
    assert (await fake.api("POST", "/v1/sessions/keep-alive", json={})).status_code == 422
    not_started = await fake.token()
    assert_error(await fake.bearer("POST", "/v1/sessions/keep-alive", not_started["session_token"]), 400, 4000)
    await fake.bearer("POST", "/v1/sessions/stop", live["session_token"])
    assert_error(await fake.bearer("POST", "/v1/sessions/keep-alive", live["session_token"]), 400, 4010)


async def test_list_sessions_active_and_historic_with_pagination(fake: Fake) -> None:
    live = [await fake.started() for _ in range(3)]
    await fake.token()  # created, never started: in neither list
    await fake.bearer("POST", "/v1/sessions/stop", live[0]["session_token"])
    active = (await fake.api("GET", "/v1/sessions", params={"type": "active"})).json()["data"]
    assert active["count"] == 2 and {s["id"] for s in active["results"]} == {s["session_id"] for s in live[1:]}
    item = active["results"][0]
    assert {"id", "created_at", "updated_at", "duration", "source", "mode", "is_sandbox", "credits_consumed"} <= set(
        item
    )
    assert item["source"] == "API" and item["end_reason"] is None
    historic = (await fake.api("GET", "/v1/sessions", params={"type": "historic"})).json()["data"]
    assert [s["id"] for s in historic["results"]] == [live[0]["session_id"]]
    assert historic["results"][0]["end_reason"] == "USER_CLOSED"
    page = (await fake.api("GET", "/v1/sessions", params={"type": "active", "page_size": 1})).json()["data"]
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"] and page["previous"] is None
    assert (await fake.api("GET", "/v1/sessions", params={"type": "everything"})).status_code == 422
    assert (await fake.api("GET", "/v1/sessions", params={"page_size": 1000})).status_code == 422
    assert_error(await fake.http.get("/v1/sessions"), 401, 401)


async def test_session_detail_and_transcript_endpoints(fake: Fake) -> None:
    live = await fake.started()
    assert_error(await fake.api("GET", f"/v1/sessions/{uuid.uuid4()}"), 404, 4004)
    assert_error(await fake.api("GET", f"/v1/sessions/{uuid.uuid4()}/transcript"), 404, 4004)
    transcript = (await fake.api("GET", f"/v1/sessions/{live['session_id']}/transcript")).json()["data"]
    assert transcript == {"session_active": True, "transcript_data": [], "next_timestamp": None}
    assert_error(await fake.bearer("GET", f"/v1/sessions/{live['session_id']}", live["session_token"]), 403, 403)


async def test_avatars_voices_and_credits(fake: Fake) -> None:
    public = (await fake.api("GET", "/v1/avatars/public")).json()["data"]
    wayne = next(avatar for avatar in public["results"] if avatar["id"] == WAYNE_ID)
    assert wayne["name"] == "Wayne" and wayne["status"] == "ACTIVE" and wayne["type"] in ("VIDEO", "IMAGE")
    assert {"id", "name"} <= set(wayne["default_voice"]) and isinstance(wayne["is_1080p"], bool)
    preview = await fake.http.get(wayne["preview_url"].removeprefix(fake.base_url))
    assert preview.status_code == 200 and preview.headers["content-type"].startswith("image/svg+xml")
    assert (await fake.api("GET", f"/v1/avatars/{WAYNE_ID}")).json()["data"]["name"] == "Wayne"
    assert_error(await fake.api("GET", f"/v1/avatars/{uuid.uuid4()}"), 404, 4041)
    assert (await fake.api("GET", "/v1/avatars")).json()["data"]["count"] == 0
    voices = (await fake.api("GET", "/v1/voices")).json()["data"]["results"]
    assert wayne["default_voice"]["id"] in {voice["id"] for voice in voices}
    assert (await fake.api("GET", "/v1/users/credits")).json()["data"]["credits_left"] == 1000
    assert_error(await fake.http.get("/v1/avatars/public"), 401, 401)


async def test_cross_origin_headers_for_an_isolated_page_on_another_origin(fake: Fake) -> None:
    origin = "http://127.0.0.1:9"
    preflight = await fake.http.options(
        "/v1/sessions/start",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    token = await fake.token()
    start = await fake.http.post(
        "/v1/sessions/start", headers={"Origin": origin, "Authorization": f"Bearer {token['session_token']}"}
    )
    assert start.headers["access-control-allow-origin"] == origin
    assert start.headers["access-control-allow-credentials"] == "true"
    assert start.headers["cross-origin-resource-policy"] == "cross-origin"
    error = await fake.http.post("/v1/sessions/start", headers={"Origin": origin})
    assert error.status_code == 401 and error.headers["access-control-allow-origin"] == origin
    avatars = await fake.http.get("/v1/avatars/public", headers={"Origin": origin, **fake.headers})
    assert avatars.status_code == 200
    assert avatars.headers["cross-origin-resource-policy"] == "cross-origin"
    assert avatars.headers["access-control-allow-origin"] == origin
    assert (await fake.http.get("/healthz")).status_code == 200
