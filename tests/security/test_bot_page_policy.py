"""The bot page's Content-Security-Policy: scripts only from this server, the SDK origins its config names and
its own import map (by nonce); no plugins, <base>, forms or framing. What it must allow is read from the
vendor's shipped code, so a Zoom upgrade that needs more (or less) fails here."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from farm.room.bot_page_config import BotCredentials, bot_page_config
from farm.settings import Settings
from tests.api.conftest import RecordingFarm, make_settings

ZOOM_AV = (
    Path(__file__).resolve().parents[2] / "bot_page" / "node_modules" / "@zoom" / "meetingsdk" / "dist" / "lib" / "av"
)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[FastAPI, Settings, httpx.AsyncClient]]:
    settings = make_settings(tmp_path)
    app = create_app(settings, farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8800") as client:
            yield app, settings, client


def _policy(header: str) -> dict[str, list[str]]:
    return {
        name: values for name, *values in (directive.split() for directive in header.split(";") if directive.strip())
    }


async def test_the_bot_page_runs_only_its_own_and_its_sdks_scripts(
    served: tuple[FastAPI, Settings, httpx.AsyncClient],
) -> None:
    app, settings, client = served
    config = bot_page_config(
        settings,
        bot_id="bot_1",
        room_id="room_1",
        room_name="Room 1",
        professor_name="Prof. Ada",
        meeting_number="85746065432",
        passcode="x7Yq2",
        credentials=BotCredentials(meeting_signature="sig"),
    )
    page = await client.get(f"/bot/{app.state.bot_tickets.issue(config)}")
    assert page.status_code == 200
    policy = _policy(page.headers["content-security-policy"])
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "*" not in scripts and "http:" not in scripts
    assert "http://127.0.0.1:8801" in scripts  # the simulated Zoom's Component View stand-in
    [nonce] = [value for value in scripts if value.startswith("'nonce-")]
    assert f'<script type="importmap" nonce="{nonce[7:-1]}">' in page.text
    # Every <script src> of the page is allowed by the policy.
    for src in re.findall(r'<script[^>]* src="([^"]+)"', page.text):
        origin = re.match(r"https?://[^/]+", src)
        assert src.startswith("/") or (origin and origin.group(0) in scripts), src


async def test_what_the_policy_allows_follows_zooms_shipped_code(
    served: tuple[FastAPI, Settings, httpx.AsyncClient],
) -> None:
    app, settings, client = served
    config = bot_page_config(
        settings,
        bot_id="b",
        room_id="r",
        room_name="R",
        professor_name="P",
        meeting_number="85746065432",
        passcode=None,
        credentials=BotCredentials(meeting_signature="sig"),
    )
    scripts = _policy(
        (await client.get(f"/bot/{app.state.bot_tickets.issue(config)}")).headers["content-security-policy"]
    )["script-src"]
    shipped = [path.read_text(errors="replace") for path in ZOOM_AV.glob("*.js")]
    assert shipped, "Zoom's media libraries are not installed (make setup)"
    compiles = any("new Function" in text or "eval(" in text for text in shipped)
    assert ("'unsafe-eval'" in scripts) == compiles
    assert ("'wasm-unsafe-eval'" in scripts) == any(ZOOM_AV.glob("*.wasm"))
