"""The installed @zoom/meetingsdk package (bot_page/node_modules), read by the contract tests."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "bot_page/node_modules/@zoom/meetingsdk"
EN_US = PACKAGE_DIR / "dist/lib/lang/en-US.json"
EMBEDDED_BUNDLE = PACKAGE_DIR / "dist/zoomus-websdk-embedded.umd.min.js"


@cache
def en_us() -> dict[str, str]:
    data: dict[str, str] = json.loads(EN_US.read_text(encoding="utf-8"))
    return data


@cache
def embedded_bundle() -> str:
    return EMBEDDED_BUNDLE.read_text(encoding="utf-8")
