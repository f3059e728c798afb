"""`avatarfarm doctor` against the fakes: every check passes on a sound configuration, and each wrong credential
or setting is named in words (in sim mode, and in live mode pointed at the fakes' base URLs). No secret is
printed."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.doctor import Finding, diagnose
from fakes.liveavatar import FakeLiveAvatarConfig, create_app
from fakes.liveavatar.avatars import WAYNE_ID
from fakes.liveavatar.voices import VOICES
from farm.settings import Settings, load_settings
from tests.fakes_zoom.harness import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, running_fake_zoom
from tests.nodes.harness import NODE_TOKEN, browser_nodes
from tests.support.browsers import chromium_that_dies
from tests.support.ports import free_port
from tests.support.servers import serve_app

LA_KEY = "doctor-liveavatar-key"


@dataclass(frozen=True)
class Fakes:
    zoom: str
    liveavatar: str


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    async with running_fake_zoom() as zoom, serve_app(create_app(FakeLiveAvatarConfig(api_key=LA_KEY))) as la:
        yield Fakes(zoom.base_url, la.base_url)


def settings_for(fakes: Fakes, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "port": free_port(),
        "zoom_api_base": fakes.zoom,
        "zoom_oauth_client_id": OAUTH_CLIENT_ID,
        "zoom_oauth_client_secret": OAUTH_CLIENT_SECRET,
        "liveavatar_api_base": fakes.liveavatar,
        "liveavatar_api_key": LA_KEY,
    }
    return load_settings(**(values | overrides))


def by_subject(findings: list[Finding]) -> dict[str, Finding]:
    return {finding.subject: finding for finding in findings}


async def test_a_sound_sim_configuration_passes_every_check(fakes: Fakes, tmp_path: Path) -> None:
    findings = by_subject(
        await diagnose(settings_for(fakes, tmp_path), avatar_id=WAYNE_ID, voice_id=VOICES[0].id, browsers=True)
    )
    assert set(findings) == {
        "Zoom Meeting SDK",
        "Zoom SDK key and secret",
        "Zoom OAuth client",
        "Zoom OAuth redirect URL",
        "LiveAvatar API key",
        "Avatar",
        "Voice",
        "Chromium",
        "PUBLIC_BASE_URL from Chromium",
    }
    assert all(finding.verdict == "ok" for finding in findings.values()), findings
    assert "Wayne" in findings["Avatar"].words


async def test_a_chromium_that_dies_while_starting_is_started_again_as_the_farm_does(
    fakes: Fakes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Debian's Chromium segfaults at launch now and then; the farm starts it again once, so the doctor does too
    rather than calling a sound machine broken."""
    script, starts = chromium_that_dies(tmp_path / "chromium", times=1)
    monkeypatch.setenv("AVATARFARM_CHROMIUM", str(script))
    findings = by_subject(await diagnose(settings_for(fakes, tmp_path), browsers=True))
    assert findings["Chromium"].verdict == "ok", findings["Chromium"].words
    assert findings["PUBLIC_BASE_URL from Chromium"].verdict == "ok"
    assert len(starts.read_text().split()) == 2


async def test_wrong_credentials_and_ids_are_named_in_words(fakes: Fakes, tmp_path: Path) -> None:
    settings = settings_for(
        fakes,
        tmp_path,
        zoom_oauth_client_secret="not-the-oauth-secret",
        liveavatar_api_key="not-the-liveavatar-key",
    )
    findings = by_subject(await diagnose(settings, browsers=False))
    assert findings["LiveAvatar API key"].verdict == "FAIL"
    assert "AVATARFARM_LIVEAVATAR_API_KEY" in findings["LiveAvatar API key"].words
    assert findings["Zoom OAuth client"].verdict == "FAIL"
    assert "AVATARFARM_ZOOM_OAUTH_CLIENT_SECRET" in findings["Zoom OAuth client"].words
    assert "Zoom OAuth redirect URL" not in findings  # not checkable with a client Zoom refuses

    findings = by_subject(
        await diagnose(
            settings_for(fakes, tmp_path),
            avatar_id="00000000-0000-4000-8000-000000000000",
            voice_id="11111111-0000-4000-8000-000000000000",
            browsers=False,
        )
    )
    assert findings["Avatar"].verdict == "FAIL" and "does not know the avatar" in findings["Avatar"].words
    assert findings["Voice"].verdict == "FAIL" and "does not know the voice" in findings["Voice"].words


async def test_a_voice_agent_is_checked_when_the_token_names_one(fakes: Fakes, tmp_path: Path) -> None:
    unknown = "22222222-0000-4000-8000-000000000000"
    settings = settings_for(fakes, tmp_path, liveavatar_token_shape="voice_agent", liveavatar_voice_agent_id=unknown)
    finding = by_subject(await diagnose(settings, browsers=False))["Voice agent"]
    assert finding.verdict == "FAIL" and "AVATARFARM_LIVEAVATAR_VOICE_AGENT_ID" in finding.words


async def test_live_mode_asks_zoom_about_the_sdk_app(fakes: Fakes, tmp_path: Path) -> None:
    # A Meeting SDK app's key and secret are its OAuth client's id and secret: the fake's OAuth client stands in.
    live = {"zoom_mode": "live", "zoom_oauth_base": fakes.zoom}
    good = settings_for(fakes, tmp_path, **live, zoom_sdk_key=OAUTH_CLIENT_ID, zoom_sdk_secret=OAUTH_CLIENT_SECRET)
    assert by_subject(await diagnose(good, browsers=False))["Zoom SDK key and secret"].verdict == "ok"
    bad = settings_for(fakes, tmp_path, **live, zoom_sdk_key=OAUTH_CLIENT_ID, zoom_sdk_secret="wrong-sdk-secret")
    finding = by_subject(await diagnose(bad, browsers=False))["Zoom SDK key and secret"]
    assert finding.verdict == "FAIL" and "AVATARFARM_ZOOM_SDK_SECRET" in finding.words


async def test_a_public_base_url_the_browser_cannot_reach_is_named(fakes: Fakes, tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    findings = by_subject(await diagnose(settings_for(fakes, tmp_path, public_base_url=nowhere)))
    assert findings["Chromium"].verdict == "ok"
    reach = findings["PUBLIC_BASE_URL from Chromium"]
    assert reach.verdict == "FAIL" and "cannot load" in reach.words
    # Another server answering there is not this one.
    elsewhere = by_subject(await diagnose(settings_for(fakes, tmp_path, public_base_url=fakes.liveavatar)))
    assert "not this server" in elsewhere["PUBLIC_BASE_URL from Chromium"].words


async def test_the_command_prints_each_finding_and_no_secret(fakes: Fakes, tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AVATARFARM_")}
    env |= {
        "AVATARFARM_DATA_DIR": str(tmp_path / "var"),
        "AVATARFARM_ZOOM_API_BASE": fakes.zoom,
        "AVATARFARM_ZOOM_OAUTH_CLIENT_ID": OAUTH_CLIENT_ID,
        "AVATARFARM_ZOOM_OAUTH_CLIENT_SECRET": OAUTH_CLIENT_SECRET,
        "AVATARFARM_LIVEAVATAR_API_BASE": fakes.liveavatar,
        "AVATARFARM_LIVEAVATAR_API_KEY": "a-wrong-key-that-must-not-be-printed",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        "doctor",
        "--no-browser",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    text = output.decode()
    assert process.returncode == 1, text
    assert "FAIL  LiveAvatar API key: LiveAvatar refused avatarfarm's API key" in text
    assert "ok    Zoom OAuth client" in text and "1 problem found" in text
    for secret in ("a-wrong-key-that-must-not-be-printed", OAUTH_CLIENT_SECRET):
        assert secret not in text


async def test_each_browser_node_is_asked_to_load_public_base_url(fakes: Fakes, tmp_path: Path) -> None:
    with browser_nodes(1) as nodes:
        node = nodes[0]
        settings = settings_for(fakes, tmp_path, browser_nodes=node.url, browser_node_token=NODE_TOKEN)
        findings = by_subject(await diagnose(settings))
        other_token = "9c1e4b7a2f6d8053e1a7c4b9d2f05e6a"
        wrong_token = settings_for(fakes, tmp_path, browser_nodes=node.url, browser_node_token=other_token)
        refused = by_subject(await diagnose(wrong_token))
    subject = f"Browser node {node.url}"
    assert findings[subject].verdict == "ok" and "Chromium" not in findings, findings[subject].words
    assert findings[f"PUBLIC_BASE_URL from {subject}"].verdict == "ok"
    assert refused[subject].verdict == "FAIL" and "refused the node token" in refused[subject].words
