"""professor.avatar_id and voice_id are checked against the LiveAvatar account's lists when a session starts
(422 naming the field, nothing stored), the lists are cached, an outage does not block a start, and the lists
and preview images are served to the professor without any secret. The fake LiveAvatar runs on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from state.repository import Repository
from tests.api.conftest import TOKEN, Api, RecordingFarm, make_settings, session_body
from tests.farm.harness import LA_API_KEY, liveavatar_server

WAYNE = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"
ADA = "3b8f0c1e-5a52-4f43-a0a4-6e6f1c2d9b10"
NOVA_DEPLOYING = "9f0a6c3d-2b7e-4d1a-b5c8-1e4f7a9d0c66"
ADA_VOICE = "a4a3c8c1-6f0e-4f0b-8f71-56c9b1e6b2c2"
UNKNOWN = "0b8f1c2e-5a52-4f43-a0a4-6e6f1c2d9b99"


@dataclass
class Stack:
    api: Api
    admin: httpx.AsyncClient

    async def calls(self, path: str) -> int:
        response = await self.admin.get("/admin/calls", params={"path": path})
        assert response.status_code == 200, response.text
        return len(response.json()["data"])

    async def fault(self, path: str, fault: str = "500", times: int = 100) -> None:
        response = await self.admin.post(
            "/admin/faults", json={"method": "GET", "path": path, "fault": fault, "times": times}
        )
        assert response.status_code == 200, response.text


@pytest.fixture
async def stack(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    api_key = getattr(request, "param", LA_API_KEY)
    async with liveavatar_server() as (la_url, admin):
        settings = make_settings(tmp_path, liveavatar_api_base=la_url, liveavatar_api_key=api_key)
        farms: list[RecordingFarm] = []

        def factory(repository: Repository, *_: Any) -> RecordingFarm:
            farms.append(RecordingFarm(repository))
            return farms[-1]

        app = create_app(settings, farm_factory=factory)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with (
                httpx.AsyncClient(
                    transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {TOKEN}"}
                ) as client,
                httpx.AsyncClient(transport=transport, base_url="http://testserver") as anonymous,
            ):
                yield Stack(Api(app, client, anonymous, settings, farms[0]), admin)


def _professor(avatar_id: str, voice_id: str | None = None) -> dict[str, Any]:
    professor: dict[str, Any] = {"name": "Prof. Ada Lovelace", "avatar_id": avatar_id}
    if voice_id is not None:
        professor["voice_id"] = voice_id
    return session_body(rooms=1, professor=professor)


async def _refused(stack: Stack, body: dict[str, Any]) -> dict[str, str]:
    before = await stack.api.row_counts()
    response = await stack.api.client.post("/api/sessions", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_request"
    assert await stack.api.row_counts() == before
    assert "start_session" not in stack.api.farm.names()
    return {item["field"]: item["message"] for item in response.json()["detail"]}


async def test_an_unknown_avatar_is_a_422_naming_the_field_and_nothing_is_stored(stack: Stack) -> None:
    detail = await _refused(stack, _professor(UNKNOWN))
    assert detail == {
        "professor.avatar_id": f"LiveAvatar does not know the avatar '{UNKNOWN}'; pick one of your account's "
        "avatars (GET /api/liveavatar/avatars lists them)."
    }


async def test_an_unknown_voice_is_a_422_naming_the_field(stack: Stack) -> None:
    detail = await _refused(stack, _professor(WAYNE, "en-gb-warm"))
    assert list(detail) == ["professor.voice_id"]
    assert "does not know the voice 'en-gb-warm'" in detail["professor.voice_id"]


async def test_both_wrong_name_both_fields(stack: Stack) -> None:
    detail = await _refused(stack, _professor(UNKNOWN, "en-gb-warm"))
    assert list(detail) == ["professor.avatar_id", "professor.voice_id"]


async def test_an_avatar_that_is_not_ready_is_refused_in_words(stack: Stack) -> None:
    detail = await _refused(stack, _professor(NOVA_DEPLOYING))
    assert "'Nova' is not ready at LiveAvatar yet (its status is DEPLOYING)" in detail["professor.avatar_id"]


async def test_known_ids_start_and_the_lists_are_cached(stack: Stack) -> None:
    for _ in range(3):
        response = await stack.api.client.post("/api/sessions", json=_professor(ADA.upper(), ADA_VOICE))
        assert response.status_code == 202, response.text
    # One fetch of each list for three starts.
    assert await stack.calls("/v1/avatars/public") == 1
    assert await stack.calls("/v1/voices") == 1
    assert stack.api.farm.names().count("start_session") == 3


async def test_an_outage_does_not_block_a_start(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    await stack.fault("/v1/avatars/public")
    before = await stack.api.row_counts()
    response = await stack.api.client.post("/api/sessions", json=_professor(UNKNOWN))
    assert response.status_code == 202, response.text
    assert (await stack.api.row_counts())["sessions"] == before["sessions"] + 1
    assert "starting a session without checking avatar" in caplog.text
    # The page's picker says so in words instead of listing nothing.
    listing = await stack.api.client.get("/api/liveavatar/avatars")
    assert listing.status_code == 503
    assert listing.json()["error"] == "liveavatar_unavailable"


async def test_lists_fetched_before_an_outage_still_check(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (await stack.api.client.get("/api/liveavatar/avatars")).status_code == 200
    fetched = await stack.calls("/v1/avatars")
    # The lists are out of date at once, and LiveAvatar fails: the kept lists decide.
    monkeypatch.setattr("api.liveavatar_catalog.LIST_SECONDS", 0.0)
    monkeypatch.setattr("api.liveavatar_catalog.RECHECK_AFTER_SECONDS", 0.0)
    await stack.fault("/v1/avatars")
    await _refused(stack, _professor(UNKNOWN))
    assert await stack.calls("/v1/avatars") == fetched + 1  # a fresh fetch was tried (and failed)
    response = await stack.api.client.post("/api/sessions", json=_professor(WAYNE))
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("stack", ["not-the-key"], indirect=True)
async def test_a_refused_api_key_is_said_in_words_and_nothing_is_stored(stack: Stack) -> None:
    before = await stack.api.row_counts()
    response = await stack.api.client.post("/api/sessions", json=_professor(WAYNE))
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "liveavatar_refused"
    assert "AVATARFARM_LIVEAVATAR_API_KEY" in response.json()["message"]
    assert await stack.api.row_counts() == before


async def test_avatars_and_voices_for_the_picker_with_previews_and_no_secret(stack: Stack) -> None:
    avatars = await stack.api.client.get("/api/liveavatar/avatars")
    assert avatars.status_code == 200, avatars.text
    listed = {a["name"]: a for a in avatars.json()["avatars"]}
    assert set(listed) == {"Wayne", "Ada", "Marcus", "Nova"}
    assert listed["Ada"]["ready"] and not listed["Nova"]["ready"]
    assert listed["Ada"]["default_voice"] == {"id": ADA_VOICE, "name": "Ada (espeak en-gb)"}
    assert listed["Ada"]["preview_url"] == f"/api/liveavatar/avatars/{ADA}/preview"
    voices = await stack.api.client.get("/api/liveavatar/voices")
    assert voices.status_code == 200
    assert ADA_VOICE in {v["id"] for v in voices.json()["voices"]}

    preview = await stack.api.client.get(listed["Ada"]["preview_url"])
    assert preview.status_code == 200
    assert preview.headers["content-type"].startswith("image/svg+xml")
    assert "sandbox" in preview.headers["content-security-policy"]
    assert b"Ada" in preview.content
    assert (await stack.api.client.get(f"/api/liveavatar/avatars/{UNKNOWN}/preview")).status_code == 404
    for response in (avatars, voices, preview):
        assert LA_API_KEY not in response.text
        assert "127.0.0.1" not in response.text  # no vendor URL reaches the page
    # The lists need the API token (or the dashboard's sign-in).
    assert (await stack.api.anonymous.get("/api/liveavatar/avatars")).status_code == 401
