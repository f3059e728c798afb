"""A bot browser that dies at launch is logged with its last words: how its process exited and what it wrote to
stderr, read from Playwright's own error (a Playwright upgrade that words it otherwise fails here), secrets removed;
the professor reads what it means, from Playwright's errors as a real launch, connection or page load raises them.
Two fresh-clone CI runs failed on a launch failure whose log said only "Target page, context or browser has been
closed". And one that dies while starting (a later run: SIGSEGV within a second, twice in one run) is started again
at once, once."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Error as PlaywrightError

from farm.browsers.browser_node import LocalBrowserNode
from farm.browsers.console_lines import launch_failure
from farm.browsers.launch_failure_words import launch_failure_words
from farm.browsers.node_server import _response
from farm.browsers.playwright_driver import start_playwright
from tests.support.browsers import chromium_that_dies, launch, launch_options


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


async def test_a_browser_that_dies_while_starting_is_started_again_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    script, starts = chromium_that_dies(tmp_path, times=1)
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
    script, starts = chromium_that_dies(tmp_path / "always", times=99)
    node = _Node(script)
    try:
        with pytest.raises(PlaywrightError, match="Target page, context or browser has been closed") as failed:
            await node.open_bot("bot", "data:text/html,<p>bot</p>", on_report=lambda _: None, on_notice=_ignore)
    finally:
        await node.stop()
    assert len(starts.read_text().split()) == 2
    assert launch_failure_words(failed.value) == "Chromium ended while starting, twice in a row"


def _ignore(kind: str, detail: dict[str, Any]) -> None:
    pass


async def test_the_tests_own_browsers_are_started_again_once_too(tmp_path: Path) -> None:
    """Students, fake participants and dashboards of the tests launch Chromium themselves (a fresh-clone run
    failed a node test on the same crash at launch): they go through `tests.support.browsers.launch`."""
    script, starts = chromium_that_dies(tmp_path, times=1)
    playwright = await start_playwright()
    try:
        browser = await launch(playwright, **{**launch_options(), "executable_path": str(script)})
        page = await browser.new_page()
        assert await page.evaluate("6 * 7") == 42
        await browser.close()
    finally:
        await playwright.stop()
    assert len(starts.read_text().split()) == 2


@contextlib.asynccontextmanager
async def _server(answer: bytes | None) -> AsyncIterator[str]:
    """A loopback server that reads a request's head, then sends `answer` and closes, or (None) never answers."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            if answer is None:
                await reader.read()  # until the client gives up
            else:
                writer.write(answer)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


async def test_what_the_professor_reads_of_a_node_that_is_full_or_slow_and_of_a_page_that_does_not_load() -> None:
    playwright = await start_playwright()
    try:
        full = _response(503, "Service Unavailable", {"error": "node full (2 bots)"})
        async with _server(full) as node:
            with pytest.raises(PlaywrightError) as refused:
                await playwright.chromium.connect(f"ws://{node}/", timeout=5_000)
        assert launch_failure_words(refused.value) == "the browser node said it was full"

        async with _server(None) as node:
            with pytest.raises(PlaywrightError) as slow:
                await playwright.chromium.connect(f"ws://{node}/", timeout=2_000)
        assert launch_failure_words(slow.value).startswith("it did not start within 2 s"), str(slow.value)

        browser = await launch(playwright, **launch_options())
        try:
            page = await browser.new_page()
            async with _server(None) as site:
                with pytest.raises(PlaywrightError) as unloaded:
                    await page.goto(f"http://{site}/bot/x", timeout=2_000)
        finally:
            await browser.close()
        assert launch_failure_words(unloaded.value).startswith("its page did not load within 2 s")

        assert launch_failure_words(PlaywrightError("Browser.newContext: something new")) == (
            "the server log has the details"
        )
    finally:
        await playwright.stop()
