"""The bearer token guards everything but the probes; it is generated once and kept when not configured."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.auth import ensure_api_token, token_path
from farm.settings import load_settings
from tests.api.conftest import Api
from tests.support.queued_farm import QueuedFarm

OPEN = {"/healthz", "/readyz"}


def _guarded_routes(api: Api) -> list[tuple[str, str]]:
    routes = [("GET", "/openapi.json")]
    for path, methods in api.app.openapi()["paths"].items():
        if path in OPEN:
            continue
        for method in methods:
            routes.append((method.upper(), path.replace("{session_id}", "ses_x").replace("{room_id}", "room_x")))
    return routes


async def test_every_endpoint_but_the_probes_needs_the_token(api: Api) -> None:
    routes = _guarded_routes(api)
    api.app.state.auth_throttle.allowed = 10 * len(routes)  # one wrong token per route is no guessing here
    assert len(routes) >= 12  # sessions (5), room commands (5), events, metrics, openapi
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic abc"}):
            response = await api.anonymous.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.json()["error"] == "unauthorized"
    for path in OPEN:
        assert (await api.anonymous.get(path)).status_code == 200


async def test_the_right_token_is_accepted(api: Api) -> None:
    assert (await api.client.get("/api/sessions")).status_code == 200
    assert (await api.client.get("/openapi.json")).status_code == 200


def test_a_token_is_generated_once_kept_private_and_reused(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "var")
    first = ensure_api_token(settings)
    assert first.generated and len(first.value) >= 32
    path = token_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = ensure_api_token(settings)
    assert not second.generated and second.value == first.value
    configured = ensure_api_token(
        load_settings(data_dir=tmp_path / "var", api_token="from-env-5f0c1d2e3a4b69788796a5b4")
    )
    assert configured.value == "from-env-5f0c1d2e3a4b69788796a5b4" and not configured.generated


@pytest.mark.parametrize("configured", [False, True])
async def test_the_app_uses_the_kept_or_configured_token(tmp_path: Path, configured: bool) -> None:
    overrides = {"api_token": "configured-token-5f0c1d2e3a4b6978"} if configured else {}
    settings = load_settings(data_dir=tmp_path / "var", **overrides)
    app = create_app(settings, farm_factory=lambda repository, *_: QueuedFarm(repository))
    async with app.router.lifespan_context(app):
        expected = "configured-token-5f0c1d2e3a4b6978" if configured else token_path(settings).read_text().strip()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ok = await client.get("/api/sessions", headers={"Authorization": f"Bearer {expected}"})
            assert ok.status_code == 200
    assert token_path(settings).exists() is not configured
