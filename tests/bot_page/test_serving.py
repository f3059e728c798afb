"""The bot page is served once per ticket, isolated (COOP/COEP), with its secrets-free config; the vendor
SDKs are served from bot_page/node_modules."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from api.app import create_app
from farm.room.bot_page_config import BotCredentials, bot_page_config
from farm.room.bot_tickets import BotTickets
from farm.settings import Settings, load_settings
from farm.vendors.zoom_signature import meeting_signature
from tests.api.conftest import RecordingFarm

ZOOM_WASM = sorted(Path("bot_page/node_modules/@zoom/meetingsdk/dist/lib/av").glob("*.wasm"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path / "var",
        api_token="t" + "5f0c1d2e3a4b69788796a5b4c3d2e1f0",
        zoom_sdk_secret="zoom-secret-for-tests-0123456789abcdef",
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8800") as c:
        yield c


def _config(settings: Settings, room_name: str = "Room 1") -> dict[str, Any]:
    signature = meeting_signature(
        sdk_key=settings.zoom_sdk_key or "",
        sdk_secret=settings.zoom_sdk_secret.get_secret_value() if settings.zoom_sdk_secret else "",
        meeting_number="85746065432",
    )
    return bot_page_config(
        settings,
        bot_id="bot_1",
        room_id="room_1",
        room_name=room_name,
        professor_name="Prof. Ada",
        meeting_number="85746065432",
        passcode="x7Yq2",
        credentials=BotCredentials(meeting_signature=signature),
    )


def _island(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="avatarfarm-config">(.*?)</script>', html, re.S)
    assert match, html
    parsed: dict[str, Any] = json.loads(match.group(1))
    return parsed


async def test_a_ticket_serves_the_page_once_with_isolation_headers(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    ticket = app.state.bot_tickets.issue(_config(settings))
    page = await client.get(f"/bot/{ticket}")
    assert page.status_code == 200
    assert page.headers["cross-origin-opener-policy"] == "same-origin"
    assert page.headers["cross-origin-embedder-policy"] == "require-corp"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    config = _island(page.text)
    assert config["room_name"] == "Room 1" and config["zoom"]["meeting_number"] == "85746065432"
    assert '<script type="module" src="/bot-assets/js/bot.js">' in page.text
    again = await client.get(f"/bot/{ticket}")
    assert again.status_code == 404 and "expired or was already used" in again.text


def test_tickets_expire() -> None:
    tickets = BotTickets(ttl_seconds=-1)
    ticket = tickets.issue({"x": 1})
    assert tickets.redeem(ticket) is None
    assert BotTickets().redeem("never-issued") is None


async def test_the_page_holds_no_secret(app: FastAPI, client: httpx.AsyncClient, settings: Settings) -> None:
    page = await client.get(f"/bot/{app.state.bot_tickets.issue(_config(settings))}")
    for secret in (
        "zoom-secret-for-tests-0123456789abcdef",
        settings.liveavatar_api_key.get_secret_value() if settings.liveavatar_api_key else "",
        settings.zoom_oauth_client_secret.get_secret_value() if settings.zoom_oauth_client_secret else "",
    ):
        assert secret and secret not in page.text
    signature = _island(page.text)["zoom"]["signature"]
    claims = jwt.decode(signature, "zoom-secret-for-tests-0123456789abcdef", algorithms=["HS256"])
    assert claims["mn"] == "85746065432" and claims["role"] == 0


async def test_hostile_names_cannot_break_out_of_the_config(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    hostile = '</script><script>alert("x")</script>'
    page = await client.get(f"/bot/{app.state.bot_tickets.issue(_config(settings, room_name=hostile))}")
    assert "<script>alert" not in page.text
    assert _island(page.text)["room_name"] == hostile
    assert "&lt;/script&gt;" in page.text  # the title and header show it as text


async def test_vendor_sdks_and_page_scripts_are_served_isolated(client: httpx.AsyncClient) -> None:
    for path, kind in [
        ("/vendor/zoom/zoom-meeting-embedded-ES5.min.js", "javascript"),
        ("/vendor/zoom/lib/vendor/react.min.js", "javascript"),
        ("/vendor/npm/@heygen/liveavatar-web-sdk/dist/index.esm.js", "javascript"),
        ("/vendor/shims/events.mjs", "javascript"),
        ("/bot-assets/js/bot.js", "javascript"),
        ("/bot-assets/js/media-bridge.js", "javascript"),
        ("/bot-assets/static/bot.css", "css"),
    ]:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert kind in response.headers["content-type"], (path, response.headers["content-type"])
        assert response.headers["cross-origin-resource-policy"] == "cross-origin", path
        assert response.headers["cross-origin-embedder-policy"] == "require-corp", path
    assert ZOOM_WASM, "the Zoom package ships WASM media codecs"
    response = await client.get(f"/vendor/zoom/lib/av/{ZOOM_WASM[0].name}")
    assert response.headers["content-type"] == "application/wasm"
    assert (await client.get("/bot-assets/templates/bot.html")).status_code == 404


def test_signature_claims_follow_zoom_rules() -> None:
    token = meeting_signature(sdk_key="key", sdk_secret="s" * 32, meeting_number="123456789", now=1_767_225_600)
    claims = jwt.decode(token, "s" * 32, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["appKey"] == claims["sdkKey"] == "key"
    assert claims["iat"] == 1_767_225_600 - 30
    assert claims["exp"] - claims["iat"] == 7200 and claims["tokenExp"] == claims["exp"]
    assert 1800 <= claims["exp"] - claims["iat"] <= 172_800
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


# Files node_modules has but the bot page never loads (a 404 for them is the allow-list, not a missing file).
NOT_FOR_THE_PAGE = [
    "@heygen/liveavatar-web-sdk/dist/index.esm.js.map",
    "@heygen/liveavatar-web-sdk/dist/index.umd.js",
    "@heygen/liveavatar-web-sdk/package.json",
    "events/events.js",
    "@zoom/meetingsdk/package.json",
    ".package-lock.json",
]


def _all_in_node_modules(paths: list[str]) -> bool:
    return all(Path("bot_page/node_modules", path).is_file() for path in paths)


async def test_vendor_npm_serves_only_the_files_the_page_loads(client: httpx.AsyncClient) -> None:
    assert await asyncio.to_thread(_all_in_node_modules, NOT_FOR_THE_PAGE)
    served = await client.get("/vendor/npm/@heygen/liveavatar-web-sdk/dist/index.esm.js")
    assert served.status_code == 200 and "LiveAvatarSession" in served.text
    escapes = ["%2e%2e/package.json", "@heygen/liveavatar-web-sdk/dist/../package.json"]
    for path in [*NOT_FOR_THE_PAGE, *escapes]:
        response = await client.get(f"/vendor/npm/{path}")
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/json"), path
