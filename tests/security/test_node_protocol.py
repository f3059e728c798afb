"""A browser node refuses, on its own side, the Playwright calls that would take its browsers past its egress
proxy, even from a client holding the node's token (the farm's connection abused): navigation to file:, a
context with its own proxy, a raw CDP session, Playwright's own HTTP client. The refused call raises with the
reason, reaches nothing, and the connection goes on serving the calls a bot's browser makes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Browser, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from tests.nodes.harness import NODE_TOKEN, NodeProcess, browser_nodes
from tests.support.browsers import connect

pytestmark = pytest.mark.browser

REFUSED = "refused by the browser node"


@asynccontextmanager
async def _listener() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A loopback TCP port that records whatever connects to it (a proxy or server nobody should reach)."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.read(1024))
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], seen
    finally:
        server.close()


async def _connect(playwright: Playwright, node: NodeProcess) -> Browser:
    return await connect(playwright, node.url, headers={"Authorization": f"Bearer {NODE_TOKEN}"}, timeout=30_000)


async def test_file_urls_and_other_schemes_are_refused_through_the_farms_own_connection() -> None:
    with browser_nodes(1) as [node]:
        async with async_playwright() as playwright:
            browser = await _connect(playwright, node)
            page = await browser.new_page()
            for url in ("file:///etc/passwd", "chrome://version", "view-source:file:///etc/passwd"):
                with pytest.raises(PlaywrightError, match=REFUSED):
                    await page.goto(url)
            assert page.url == "about:blank"
            assert await page.evaluate("6 * 7") == 42  # the connection still serves a bot's calls
            await browser.close()


async def test_a_call_the_farm_gives_up_on_is_aborted_and_the_browser_goes_on() -> None:
    # The farm bounds its page commands with timeouts: a cancelled call sends Playwright's __abort__ (no id).
    # Refused and answered with a null id, it broke the connection: the bot's browser counted as crashed.
    with browser_nodes(1) as [node]:
        async with async_playwright() as playwright:
            browser = await _connect(playwright, node)
            page = await browser.new_page()
            closed = asyncio.Event()
            browser.on("disconnected", lambda _: closed.set())
            for _ in range(3):
                stuck = asyncio.ensure_future(page.evaluate("new Promise(() => {})"))
                await asyncio.sleep(0.2)
                stuck.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await stuck
                assert await page.evaluate("6 * 7") == 42
            assert not closed.is_set() and browser.is_connected()
            await browser.close()


async def test_a_context_with_its_own_proxy_is_refused() -> None:
    async with _listener() as (port, seen):
        with browser_nodes(1) as [node]:
            async with async_playwright() as playwright:
                browser = await _connect(playwright, node)
                with pytest.raises(PlaywrightError, match=f"{REFUSED}: a browser context with its own proxy"):
                    await browser.new_context(proxy={"server": f"http://127.0.0.1:{port}"})
                assert browser.contexts == []
                context = await browser.new_context()  # a context like the farm's still opens
                page = await context.new_page()
                assert await page.evaluate("1 + 1") == 2
                await browser.close()
        assert seen == []


async def test_cdp_sessions_and_playwrights_own_http_client_are_refused() -> None:
    async with _listener() as (port, seen):
        with browser_nodes(1) as [node]:
            async with async_playwright() as playwright:
                browser = await _connect(playwright, node)
                with pytest.raises(PlaywrightError, match=REFUSED):
                    await browser.new_browser_cdp_session()
                context = await browser.new_context()
                page = await context.new_page()
                with pytest.raises(PlaywrightError, match=REFUSED):
                    await context.new_cdp_session(page)
                with pytest.raises(PlaywrightError, match=REFUSED):  # Node.js's request, outside the browser
                    await context.request.get(f"http://127.0.0.1:{port}/")
                await browser.close()
        assert seen == []
