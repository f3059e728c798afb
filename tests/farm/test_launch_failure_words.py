"""A bot browser that dies at launch is logged with its last words: how its process exited and what it wrote to
stderr, read from Playwright's own error (a Playwright upgrade that words it otherwise fails here), secrets removed.
Two fresh-clone CI runs failed on a launch failure whose log said only "Target page, context or browser has been
closed". And one that dies while starting (a later run: SIGSEGV within a second, twice in one run) is started again
at once, once."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Error as PlaywrightError

from farm.browsers.browser_node import LocalBrowserNode
from farm.browsers.chromium import chromium_executable
from farm.browsers.console_lines import launch_failure
from farm.browsers.playwright_driver import start_playwright
from tests.support.browsers import launch, launch_options


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


class _Node(LocalBrowserNode):
    def __init__(self, executable: Path) -> None:
        super().__init__("crashy")
        self.executable = executable

    def launch_options(self) -> dict[str, Any]:
        return {**super().launch_options(), "executable_path": str(self.executable)}


def _chromium_that_dies(tmp_path: Path, times: int) -> tuple[Path, Path]:
    """A "Chromium" that dies by SIGSEGV at its first `times` starts (counted in a file), then is Chromium."""
    tmp_path.mkdir(exist_ok=True)
    starts = tmp_path / "starts"
    script = tmp_path / "chromium"
    real = chromium_executable() or shutil.which("chromium") or "chromium"
    script.write_text(
        "#!/bin/sh\n"
        f'echo x >> "{starts}"\n'
        f'if [ "$(wc -l < "{starts}")" -le {times} ]; then echo "Fatal: died starting" >&2; kill -SEGV $$; fi\n'
        f'exec "{real}" "$@"\n'
    )
    script.chmod(0o755)
    return script, starts


async def test_a_browser_that_dies_while_starting_is_started_again_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    script, starts = _chromium_that_dies(tmp_path, times=1)
    node = _Node(script)
    try:
        bot = await node.open_bot("bot", "data:text/html,<p>bot</p>", on_report=lambda _: None, on_notice=_ignore)
        assert await bot.page.text_content("p") == "bot"
        await bot.close()
    finally:
        await node.stop()
    assert len(starts.read_text().split()) == 2
    [again] = [r.getMessage() for r in caplog.records if "died while starting" in r.getMessage()]
    assert "Fatal: died starting" in again and "signal=SIGSEGV" in again, again

    # Once only: a browser that cannot start is a launch failure, said by whoever launched it.
    script, starts = _chromium_that_dies(tmp_path / "always", times=99)
    node = _Node(script)
    try:
        with pytest.raises(PlaywrightError, match="Target page, context or browser has been closed"):
            await node.open_bot("bot", "data:text/html,<p>bot</p>", on_report=lambda _: None, on_notice=_ignore)
    finally:
        await node.stop()
    assert len(starts.read_text().split()) == 2


def _ignore(kind: str, detail: dict[str, Any]) -> None:
    pass


async def test_the_tests_own_browsers_are_started_again_once_too(tmp_path: Path) -> None:
    """Students, fake participants and dashboards of the tests launch Chromium themselves (a fresh-clone run
    failed a node test on the same crash at launch): they go through `tests.support.browsers.launch`."""
    script, starts = _chromium_that_dies(tmp_path, times=1)
    playwright = await start_playwright()
    try:
        browser = await launch(playwright, **{**launch_options(), "executable_path": str(script)})
        page = await browser.new_page()
        assert await page.evaluate("6 * 7") == 42
        await browser.close()
    finally:
        await playwright.stop()
    assert len(starts.read_text().split()) == 2
