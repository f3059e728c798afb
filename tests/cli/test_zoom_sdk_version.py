"""The Zoom Meeting SDK version is one setting (bot_page/package.json, read by the Makefile), installed as pinned,
and live-mode start-up says which version the bot page serves."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from api.zoom_sdk_version import BOT_PAGE_DIR, PACKAGE, zoom_sdk_version
from tests.support.servers import run_cli_server

ROOT = BOT_PAGE_DIR.parent


def pinned() -> str:
    return str(json.loads((BOT_PAGE_DIR / "package.json").read_text())["dependencies"][PACKAGE])


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_the_makefile_package_json_lockfile_and_node_modules_agree_on_one_version() -> None:
    from_make = subprocess.run(
        ["make", "-s", "zoom-sdk-version"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    lock = json.loads((BOT_PAGE_DIR / "package-lock.json").read_text())
    locked = lock["packages"][f"node_modules/{PACKAGE}"]["version"]
    version = zoom_sdk_version()
    assert from_make == pinned() == locked == version.installed
    assert version.in_use


def test_a_version_not_installed_as_pinned_is_said_in_words(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {PACKAGE: "6.3.0"}}))
    assert "not installed" in zoom_sdk_version(tmp_path).in_words()
    installed = tmp_path / "node_modules" / PACKAGE
    installed.mkdir(parents=True)
    (installed / "package.json").write_text(json.dumps({"version": "6.2.0"}))
    stale = zoom_sdk_version(tmp_path)
    assert not stale.in_use
    assert "6.2.0 is installed but bot_page/package.json pins 6.3.0" in stale.in_words()
    assert "make node-deps" in stale.in_words()


def test_live_start_up_prints_the_zoom_sdk_version_in_use(tmp_path: Path) -> None:
    env = {
        "AVATARFARM_ZOOM_MODE": "live",
        "AVATARFARM_ZOOM_SDK_KEY": "live-sdk-key",
        "AVATARFARM_ZOOM_SDK_SECRET": "live-sdk-secret-not-printed-0123456789",
    }
    with run_cli_server(["serve", "--data-dir", str(tmp_path / "var")], env=env) as server:
        assert httpx.get(server.base_url + "/healthz").status_code == 200
        output = server.output()
    assert f"Zoom Meeting SDK for Web {pinned()}" in output
    assert "live-sdk-secret-not-printed" not in output
