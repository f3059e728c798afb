"""A browser node's browsers reach only the bot page's origin and the hosts on the node's egress list: a page in
one of them fetching, navigating to or opening a WebSocket on a loopback server not on the list gets nothing
(that server sees no request), and one on the list works. The list is the node's own configuration (derived
from the farm's settings, or NODE_EGRESS), not anything the farm's connection says."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from playwright.async_api import Browser, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from farm.browsers.node_server import PAGE_ORIGIN_HEADER
from tests.nodes.harness import NODE_TOKEN, NodeProcess, browser_nodes
from tests.support.browsers import connect
from tests.support.servers import RunningServer, serve_app

pytestmark = pytest.mark.browser


def _server(hits: list[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    async def page(request: Request) -> str:
        hits.append(request.url.path)
        return "<title>bot</title><p>bot page</p>"

    @app.get("/data", response_class=PlainTextResponse)
    async def data(request: Request) -> PlainTextResponse:
        hits.append(request.url.path)
        return PlainTextResponse("reached", headers={"Access-Control-Allow-Origin": "*"})

    return app


@asynccontextmanager
async def _servers(count: int) -> AsyncIterator[tuple[list[RunningServer], list[list[str]]]]:
    hits: list[list[str]] = [[] for _ in range(count)]
    servers: list[RunningServer] = []
    async with serve_app(_server(hits[0])) as first:
        servers.append(first)
        async with serve_app(_server(hits[1])) as second:
            servers.append(second)
            async with serve_app(_server(hits[2])) as third:
                servers.append(third)
                yield servers, hits


async def _connect(playwright: Playwright, node: NodeProcess, page_origin: str) -> Browser:
    headers = {"Authorization": f"Bearer {NODE_TOKEN}", PAGE_ORIGIN_HEADER: page_origin}
    return await connect(playwright, node.url, headers=headers, timeout=30_000)


FETCH = "url => fetch(url).then(r => r.text(), e => 'failed: ' + e.message)"
SOCKET = """url => new Promise(done => {
    const ws = new WebSocket(url);
    ws.onopen = () => done('open');
    ws.onerror = () => done('failed');
})"""


async def test_a_nodes_browser_reaches_the_page_and_listed_hosts_only() -> None:
    async with _servers(3) as ([page_server, listed, unlisted], [page_hits, listed_hits, unlisted_hits]):
        env = {
            "AVATARFARM_PUBLIC_BASE_URL": page_server.base_url,
            "AVATARFARM_NODE_EGRESS": f"127.0.0.1:{listed.port}",
        }
        with browser_nodes(1, env=env) as [node]:
            async with async_playwright() as playwright:
                browser = await _connect(playwright, node, page_server.base_url)
                page = await browser.new_page()
                await page.goto(page_server.base_url + "/")
                assert page_hits == ["/"]
                assert await page.evaluate("window.isSecureContext")  # the page origin is on the list

                assert await page.evaluate(FETCH, f"{listed.base_url}/data") == "reached"
                assert (await page.evaluate(FETCH, f"{unlisted.base_url}/data")).startswith("failed")
                assert await page.evaluate(SOCKET, f"ws://127.0.0.1:{unlisted.port}/") == "failed"
                # The node's own front is on loopback too, and no page may reach it.
                assert (await page.evaluate(FETCH, f"http://{node.host}:{node.port}/healthz")).startswith("failed")
                with pytest.raises(PlaywrightError, match="ERR_"):
                    await page.goto(f"{unlisted.base_url}/")
                assert unlisted_hits == []
                assert listed_hits == ["/data"]
                await browser.close()


async def test_a_page_origin_the_node_does_not_allow_is_not_made_a_secure_context() -> None:
    """The farm names its page origin in a header; a node trusts it only when its own list allows that origin."""
    async with _servers(3) as ([page_server, listed, unlisted], [_, _, unlisted_hits]):
        env = {
            "AVATARFARM_PUBLIC_BASE_URL": page_server.base_url,
            "AVATARFARM_NODE_EGRESS": f"127.0.0.1:{listed.port}",
        }
        with browser_nodes(1, env=env) as [node]:
            async with async_playwright() as playwright:
                browser = await _connect(playwright, node, unlisted.base_url)
                page = await browser.new_page()
                with pytest.raises(PlaywrightError):
                    await page.goto(f"{unlisted.base_url}/")
                assert unlisted_hits == []
                await browser.close()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.seen = 0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.seen += 1


WEB_TRANSPORT = "url => new WebTransport(url).ready.then(() => 'ready', e => 'failed: ' + e.message)"


async def test_webtransport_does_not_slip_past_the_proxy_over_udp() -> None:
    """WebTransport runs over QUIC (UDP), which a SOCKS proxy does not carry: Chromium does not send it at all
    under the node's proxy (without it, the same page's QUIC handshake reaches the port)."""
    loop = asyncio.get_running_loop()
    transport, datagrams = await loop.create_datagram_endpoint(_Datagrams, local_addr=("127.0.0.1", 0))
    udp_port = transport.get_extra_info("sockname")[1]
    try:
        async with _servers(3) as ([page_server, _, _], _):
            env = {
                "AVATARFARM_PUBLIC_BASE_URL": page_server.base_url,
                "AVATARFARM_NODE_EGRESS": f"127.0.0.1:{udp_port}",
            }
            with browser_nodes(1, env=env) as [node]:
                async with async_playwright() as playwright:
                    browser = await _connect(playwright, node, page_server.base_url)
                    page = await browser.new_page()
                    await page.goto(page_server.base_url + "/")
                    result = await page.evaluate(WEB_TRANSPORT, f"https://127.0.0.1:{udp_port}/")
                    assert result.startswith("failed")
                    assert datagrams.seen == 0
                    await browser.close()
    finally:
        transport.close()
