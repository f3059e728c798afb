"""Playwright's driver started within a deadline: a driver that stays silent is described in the log, killed and
started again once; one that never answers is an error, and no driver is left behind. The silent driver is a
stand-in for Node.js (PLAYWRIGHT_NODEJS_PATH, which Playwright reads) that sleeps instead of answering."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

import pytest
from playwright._impl._driver import compute_driver_executable

from farm.browsers.orphans import stat_fields
from farm.browsers.playwright_driver import DriverDidNotStart, start_playwright
from tests.support.polling import until

SILENT = f"{sys.executable} -c 'import time; time.sleep(600)'"


def _node(tmp_path: Path, *, silent_first: int) -> Path:
    """A Node.js stand-in: silent for its first `silent_first` starts, the real Node.js after."""
    count = tmp_path / "starts"
    script = tmp_path / "node"
    script.write_text(
        "#!/bin/sh\n"
        f'echo x >> "{count}"\n'
        f'if [ "$(wc -l < "{count}")" -le {silent_first} ]; then exec {SILENT} "$@"; fi\n'
        f'exec "{compute_driver_executable()[0]}" "$@"\n'
    )
    script.chmod(0o755)
    return script


def _alive(pid: int) -> bool:
    try:
        return stat_fields(pid)[0] != "Z"
    except OSError:
        return False


async def test_a_silent_driver_is_described_killed_and_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PLAYWRIGHT_NODEJS_PATH", str(_node(tmp_path, silent_first=1)))
    with caplog.at_level(logging.WARNING, logger="avatarfarm.farm"):
        playwright = await start_playwright(within=5)
    try:
        assert playwright.chromium.name == "chromium"
    finally:
        await playwright.stop()
    said = [r.getMessage() for r in caplog.records if "did not answer" in r.getMessage()]
    assert len(said) == 1, said
    found = re.search(r"within 5 s \(attempt 1 of 2\): pid (\d+) state \w, waiting in \S+, [\d.]+ s of CPU", said[0])
    assert found, said[0]
    await until(lambda: not _alive(int(found.group(1))), 10, "the silent driver ended")


async def test_a_driver_that_never_answers_is_an_error_and_leaves_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PLAYWRIGHT_NODEJS_PATH", str(_node(tmp_path, silent_first=2)))
    with caplog.at_level(logging.WARNING, logger="avatarfarm.farm"), pytest.raises(DriverDidNotStart):
        await start_playwright(within=2)
    pids = [int(p) for m in caplog.records for p in re.findall(r"pid (\d+)", m.getMessage())]
    assert len(pids) == 2 and all(pid != os.getpid() for pid in pids)
    await until(lambda: not any(_alive(pid) for pid in pids), 10, "both silent drivers ended")
