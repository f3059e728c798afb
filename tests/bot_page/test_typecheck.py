"""`make lint` type-checks the bot page's scripts against the vendor SDKs' own typings with the pinned TypeScript:
the page as it is passes, and a call the LiveAvatar SDK does not have (as after an upgrade that renames it) fails."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from state.vocabulary import as_javascript

BOT_PAGE = Path(__file__).resolve().parents[2] / "bot_page"
TSC = BOT_PAGE / "node_modules" / ".bin" / "tsc"

pytestmark = pytest.mark.skipif(not TSC.exists(), reason="bot_page's node modules are not installed (make node-deps)")


def checked_copy(tmp_path: Path) -> Path:
    """The bot page's scripts, typings and tsconfig in `tmp_path`, with the SDKs and the generated vocabulary."""
    shutil.copytree(BOT_PAGE / "js", tmp_path / "js")
    shutil.copytree(BOT_PAGE / "types", tmp_path / "types")
    shutil.copy(BOT_PAGE / "tsconfig.json", tmp_path / "tsconfig.json")
    (tmp_path / "node_modules").symlink_to(BOT_PAGE / "node_modules")
    (tmp_path / ".tscheck").mkdir()
    (tmp_path / ".tscheck" / "vocabulary.js").write_text(as_javascript())
    return tmp_path


def tsc(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TSC), "-p", str(project / "tsconfig.json")], capture_output=True, text=True, timeout=180, check=False
    )


def test_typescript_is_pinned_in_the_manifest_and_the_lockfile() -> None:
    pinned = json.loads((BOT_PAGE / "package.json").read_text())["devDependencies"]["typescript"]
    locked = json.loads((BOT_PAGE / "package-lock.json").read_text())["packages"]["node_modules/typescript"]
    assert pinned[0].isdigit() and pinned == locked["version"]  # an exact version, the one the lockfile installs


def test_the_page_passes_and_a_call_the_sdk_does_not_have_fails(tmp_path: Path) -> None:
    project = checked_copy(tmp_path)
    passed = tsc(project)
    assert passed.returncode == 0, passed.stdout
    adapter = project / "js" / "avatar" / "liveavatar.js"
    source = adapter.read_text()
    assert "this.session.repeat(text)" in source
    adapter.write_text(source.replace("this.session.repeat(text)", "this.session.repeatText(text)"))
    failed = tsc(project)
    assert failed.returncode != 0
    assert "Property 'repeatText' does not exist on type 'LiveAvatarSession'" in failed.stdout


def test_the_zoom_adapter_is_checked_against_component_views_typings(tmp_path: Path) -> None:
    """zoom.js's client is typed as @zoom/meetingsdk's EmbeddedClient: a method or an event payload field the
    typings do not have fails, as after an SDK upgrade that renames it."""
    project = checked_copy(tmp_path)
    adapter = project / "js" / "meeting" / "zoom.js"
    source = adapter.read_text()
    assert "await this.client.joinBreakoutRoom(roomId)" in source
    adapter.write_text(source.replace("this.client.joinBreakoutRoom(roomId)", "this.client.joinBreakout(roomId)"))
    failed = tsc(project)
    assert failed.returncode != 0
    assert "Property 'joinBreakout' does not exist on type 'typeof EmbeddedClient'" in failed.stdout
    adapter.write_text(source.replace('String(speaker.displayName ?? "")', 'String(speaker.userName ?? "")'))
    failed = tsc(project)
    assert "Property 'userName' does not exist on type 'ActiveSpeaker'" in failed.stdout
