"""No secret of the server reaches an API response or a log line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from tests.api.conftest import TOKEN, RecordingFarm, make_settings, session_body

SECRETS = {
    "zoom_sdk_secret": "zoom-sdk-secret-5b1e",
    "zoom_oauth_client_secret": "zoom-oauth-secret-9c2d",
    "liveavatar_api_key": "liveavatar-key-3f7a",
}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(tmp_path, **SECRETS), farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://t",
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as client:
            yield client


async def test_no_secret_in_any_response_or_log(client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []
    created = await client.post("/api/sessions", json=session_body(rooms=2))
    session = created.json()
    room = session["rooms"][0]
    base = f"/api/sessions/{session['id']}"
    for method, path, body in [
        ("GET", "/api/sessions", None),
        ("GET", base, None),
        ("GET", f"{base}/rooms/{room['id']}", None),
        ("PUT", f"{base}/rooms/{room['id']}/context", {"text": "More"}),
        ("POST", f"{base}/rooms/{room['id']}/say", {"text": "hi"}),
        ("GET", "/openapi.json", None),
        ("GET", "/metrics", None),
        ("GET", "/readyz", None),
        ("POST", "/api/sessions", {"bad": True}),
        ("DELETE", base, None),
    ]:
        response = await client.request(method, path, json=body)
        bodies.append(response.text + str(dict(response.headers)))
    bodies.append(created.text)
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    for name, secret in SECRETS.items():
        assert all(secret not in body for body in bodies), name
        assert secret not in logged, name
    assert len(bodies) == 11
