"""Which Zoom Meeting SDK for Web the bot page serves: the version bot_page/package.json pins (the one setting an
operator changes, with `make zoom-sdk ZOOM_SDK_VERSION=…`) and the one installed in bot_page/node_modules (what
browsers really load). Zoom refuses SDK versions older than its quarterly minimum, so live-mode start-up and
`avatarfarm doctor` say which version is in use and whether the two agree."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

BOT_PAGE_DIR = Path(__file__).resolve().parents[1] / "bot_page"
PACKAGE = "@zoom/meetingsdk"


@dataclass(frozen=True)
class ZoomSdkVersion:
    pinned: str | None  # bot_page/package.json
    installed: str | None  # bot_page/node_modules/@zoom/meetingsdk/package.json

    @property
    def in_use(self) -> bool:
        return self.installed is not None and self.installed == self.pinned

    def in_words(self) -> str:
        if self.pinned is None:
            return f"bot_page/package.json does not name {PACKAGE}: the bot page has no Zoom SDK to serve."
        if self.installed is None:
            return (
                f"{PACKAGE} {self.pinned} is pinned but not installed in bot_page/node_modules: run `make node-deps`."
            )
        if self.installed != self.pinned:
            return (
                f"{PACKAGE} {self.installed} is installed but bot_page/package.json pins {self.pinned}: "
                "run `make node-deps` so the bot page serves the pinned version."
            )
        return f"Zoom Meeting SDK for Web {self.installed} ({PACKAGE}, pinned in bot_page/package.json)"


def _read(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def zoom_sdk_version(bot_page: Path = BOT_PAGE_DIR) -> ZoomSdkVersion:
    manifest = _read(bot_page / "package.json") or {}
    dependencies = manifest.get("dependencies")
    pinned = dependencies.get(PACKAGE) if isinstance(dependencies, dict) else None
    installed_manifest = _read(bot_page / "node_modules" / PACKAGE / "package.json") or {}
    installed = installed_manifest.get("version")
    return ZoomSdkVersion(
        pinned=str(pinned) if pinned else None,
        installed=str(installed) if installed else None,
    )
