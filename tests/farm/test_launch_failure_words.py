"""A bot browser that dies at launch is logged with its last words: how its process exited and what it wrote to
stderr, read from Playwright's own error (a Playwright upgrade that words it otherwise fails here), secrets removed.
Two fresh-clone CI runs failed on a launch failure whose log said only "Target page, context or browser has been
closed"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Error as PlaywrightError

from farm.browsers.browser_node import LocalBrowserNode
from farm.browsers.console_lines import launch_failure
from farm.browsers.playwright_driver import start_playwright


async def test_a_browser_that_dies_at_launch_is_logged_with_its_exit_and_its_last_words(tmp_path: Path) -> None:
    crashing = tmp_path / "chromium"
    crashing.write_text(
        "#!/bin/sh\n"
        'echo "Fatal: shared memory exhausted (token=abcdefghijklmnopqrstuvwxyz0123456789ABCD)" >&2\n'
        "kill -SEGV $$\n"
    )
    crashing.chmod(0o755)
    node = LocalBrowserNode()
    options = {**node.launch_options(), "executable_path": str(crashing)}
    playwright = await start_playwright()
    try:
        with pytest.raises(PlaywrightError) as failed:
            await playwright.chromium.launch(**options)
    finally:
        await playwright.stop()
    line = launch_failure(failed.value)
    first, *said = line.split(" | ")
    assert first.startswith("BrowserType.launch:")
    assert len(said) == 2, line
    assert re.fullmatch(r"\[pid=\d+\]\[err\] Fatal: shared memory exhausted \(token=…\)", said[0]), line
    assert re.fullmatch(r"\[pid=\d+\] <process did exit: exitCode=null, signal=SIGSEGV>", said[1]), line
    assert "abcdefghijklmnop" not in line and "--avatarfarm-owner" not in line
