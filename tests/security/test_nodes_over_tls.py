"""A browser node reached over TLS: the node speaks plain ws behind a TLS sidecar, and the farm's Playwright
driver connects with wss:// trusting the node's private CA (NODE_EXTRA_CA_CERTS, which the driver's allow-listed
environment keeps); without the CA the connection is refused, so the token never crosses the wire in clear."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Error

from farm.browsers.playwright_driver import start_playwright
from tests.nodes.harness import NODE_TOKEN, browser_nodes
from tests.support.browsers import connect
from tests.support.tls_proxy import tls_tunnel

pytestmark = pytest.mark.browser

AUTH = {"Authorization": f"Bearer {NODE_TOKEN}"}


async def test_the_farm_reaches_a_node_over_wss_with_the_nodes_ca(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with browser_nodes(1) as [node]:
        async with tls_tunnel(node.host, node.port, tmp_path) as tunnel:
            untrusting = await start_playwright()
            try:
                with pytest.raises(Error, match=r"certificate|self.signed"):
                    await untrusting.chromium.connect(tunnel.url, headers=AUTH, timeout=15_000)
            finally:
                await untrusting.stop()
            monkeypatch.setenv("NODE_EXTRA_CA_CERTS", str(tunnel.certificate))
            playwright = await start_playwright()
            try:
                browser = await connect(playwright, tunnel.url, headers=AUTH, timeout=30_000)
                page = await browser.new_page()
                assert await page.evaluate("1 + 1") == 2
                assert len(node.browsers()) == 1
                await browser.close()
            finally:
                await playwright.stop()
