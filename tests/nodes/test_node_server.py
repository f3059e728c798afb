"""`avatarfarm node` on its own: the token guards every door, it launches Chromium with the farm's flags
whatever the client asks, it keeps to --max-bots (holding a connection a moment for a slot being freed) and
reports it, SIGTERM takes its browsers with it, and a browser that dies under its client is said in the node's
log."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Error, async_playwright

from farm.browsers.node_server import PAGE_ORIGIN_HEADER, _insecure_page_origin, _Request
from tests.nodes.harness import NODE_TOKEN, browser_nodes
from tests.support.browsers import connect
from tests.support.polling import until

pytestmark = pytest.mark.browser

AUTH = {"Authorization": f"Bearer {NODE_TOKEN}"}
PAGE_ORIGIN = "http://avatarfarm.test:8800"


def _argv(pid: int) -> list[str]:
    return [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]


async def test_a_node_serves_browsers_only_with_its_token_and_its_own_flags() -> None:
    # The node is configured with its farm's page address (it trusts no origin its client names otherwise).
    with browser_nodes(1, max_bots=1, env={"AVATARFARM_PUBLIC_BASE_URL": PAGE_ORIGIN}) as [node]:
        base = f"http://{node.host}:{node.port}"
        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(f"{base}/healthz")).status_code == 200
            assert (await http.get(f"{base}/info")).status_code == 401
            wrong = await http.get(f"{base}/info", headers={"Authorization": "Bearer not-the-token"})
            assert wrong.status_code == 401
            assert NODE_TOKEN not in wrong.text
            info = await http.get(f"{base}/info", headers=AUTH)
            assert info.json() == {"max_bots": 1, "bots": 0}

        async with async_playwright() as playwright:
            with pytest.raises(Error, match="401"):
                await playwright.chromium.connect(node.url, headers={"Authorization": "Bearer wrong"}, timeout=10_000)
            with pytest.raises(Error, match="401"):
                await playwright.chromium.connect(node.url, timeout=10_000)
            assert node.browsers() == []

            asked = {"args": ["--avatarfarm-test-client-flag"], "headless": False}
            headers = {**AUTH, "x-playwright-launch-options": json.dumps(asked), PAGE_ORIGIN_HEADER: PAGE_ORIGIN}
            browser = await connect(playwright, node.url, headers=headers, timeout=30_000)
            page = await browser.new_page()
            # The farm's pages come from a plain-http address: still a secure context, or media APIs vanish.
            await page.route(
                f"{PAGE_ORIGIN}/**", lambda route: route.fulfill(body="<p>bot</p>", content_type="text/html")
            )
            await page.goto(f"{PAGE_ORIGIN}/bot/ticket")
            assert await page.text_content("p") == "bot"
            assert await page.evaluate("window.isSecureContext") is True
            [pid] = node.browsers()
            argv = _argv(pid)
            assert "--disable-renderer-backgrounding" in argv  # the farm's bot flags
            assert "--use-fake-ui-for-media-stream" in argv  # and its base flags
            assert "--headless" in " ".join(argv)
            assert "--avatarfarm-test-client-flag" not in argv
            assert f"--unsafely-treat-insecure-origin-as-secure={PAGE_ORIGIN}" in argv

            async with httpx.AsyncClient(timeout=10) as http:
                assert (await http.get(f"http://{node.host}:{node.port}/info", headers=AUTH)).json()["bots"] == 1
            with pytest.raises(Error, match="503"):  # --max-bots 1: the second bot is refused
                await playwright.chromium.connect(node.url, headers=AUTH, timeout=10_000)

            gone = asyncio.Event()
            browser.on("disconnected", lambda _: gone.set())
            assert node.terminate() == 0  # SIGTERM: a clean exit...
            assert node.browsers() == []  # ...that took its browsers along
            await asyncio.wait_for(gone.wait(), 10)


async def test_a_full_node_holds_a_connection_for_a_slot_being_freed() -> None:
    """A client that closes its browser and connects again at once finds the old connection still closing: a
    full node waits a moment for the slot (SLOT_WAIT_SECONDS) rather than answering 503 at once."""
    with browser_nodes(1, max_bots=1) as [node]:
        async with async_playwright() as playwright:
            first = await connect(playwright, node.url, headers=AUTH, timeout=30_000)
            second = asyncio.ensure_future(playwright.chromium.connect(node.url, headers=AUTH, timeout=30_000))
            await asyncio.sleep(0.5)
            assert not second.done()  # held, not refused
            await first.close()
            browser = await asyncio.wait_for(second, 30)
            assert browser.is_connected()
            await browser.close()


async def test_a_browser_that_does_not_start_frees_its_slot_at_once(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Playwright answers a failed launch and keeps the connection open, and so does its client: the node closes
    it, or the browser that never started would hold the node's slot for as long as the client lives (a
    fresh-clone run's room was refused "node full" after a browser died starting on a node of two slots)."""
    crashing = tmp_path / "chromium"
    crashing.write_text('#!/bin/sh\necho "simulated crash while starting" >&2\nkill -SEGV $$\n')
    crashing.chmod(0o755)
    with browser_nodes(1, max_bots=1, env={"AVATARFARM_CHROMIUM": str(crashing)}) as [node]:
        async with async_playwright() as playwright, httpx.AsyncClient(headers=AUTH) as client:
            for _ in range(2):  # the second is not "node full": the first's slot is free again
                with pytest.raises(Error, match="Target page, context or browser has been closed"):
                    await playwright.chromium.connect(node.url, headers=AUTH, timeout=30_000)
            await until(lambda: _bots(client, node.name), 10, "the node's slot freed after its browser did not start")
    said = capfd.readouterr().err
    assert said.count("a browser of this node did not start; its connection is closed") == 2, said


async def _bots(client: httpx.AsyncClient, name: str) -> bool:
    info = (await client.get(f"http://{name}/info")).json()
    return bool(info == {"max_bots": 1, "bots": 0})


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("http://avatarfarm:8800", "http://avatarfarm:8800"),
        ("http://[fd00::5]:8800", "http://[fd00::5]:8800"),
        ("https://avatarfarm.example.edu", None),  # already a secure context
        ("http://avatarfarm:8800 --no-sandbox", None),
        ("http://avatarfarm:8800/bot/x", None),
        ("javascript:alert(1)", None),
    ],
)
def test_only_a_bare_http_origin_is_treated_as_secure(given: str, origin: str | None) -> None:
    assert _insecure_page_origin(_Request("GET", "/", "HTTP/1.1", [(PAGE_ORIGIN_HEADER, given)])) == origin


async def test_a_browser_that_dies_on_a_node_is_said_in_the_nodes_log(capfd: pytest.CaptureFixture[str]) -> None:
    with browser_nodes(1, max_bots=1) as [node]:
        async with async_playwright() as playwright:
            browser = await connect(playwright, node.url, headers=AUTH, timeout=30_000)
            capfd.readouterr()  # a browser that died while starting was said too (and replaced): not this test's
            gone = asyncio.Event()
            browser.on("disconnected", lambda _: gone.set())
            [pid] = node.browsers()
            os.kill(pid, signal.SIGKILL)  # the farm sees only "Target page, context or browser has been closed"
            await asyncio.wait_for(gone.wait(), 10)
            await browser.close()  # a connection the client closes itself, after: nothing more to say
    said = capfd.readouterr().err
    assert said.count("a browser of this node closed without its client asking") == 1, said
    assert "1001 Browser closed" in said
