"""When a test fails, show the end of every log its processes wrote under its tmp_path (a manager's serve.log,
a fake's or a node's output): the manager of the restart tests runs in its own process, so why a bot failed to
launch is in that file, not in anything pytest captured."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

LINES = 80
MOST_FILES = 8


def log_tails(root: Path, lines: int = LINES, most: int = MOST_FILES) -> list[tuple[str, str]]:
    """(title, last lines) of the newest `most` *.log files under root."""
    try:
        logs = sorted(root.rglob("*.log"), key=lambda path: path.stat().st_mtime, reverse=True)[:most]
    except OSError:
        return []
    tails = []
    for path in sorted(logs):
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        tails.append((f"log {path.relative_to(root)} (last {lines} lines)", "\n".join(text.splitlines()[-lines:])))
    return tails


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if not report.failed or call.when != "call":
        return
    tmp_path = getattr(item, "funcargs", {}).get("tmp_path")
    if isinstance(tmp_path, Path):
        report.sections.extend(log_tails(tmp_path))
