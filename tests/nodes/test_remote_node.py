"""RemoteBrowserNode against a real `avatarfarm node` process: the same interface as the local node, warm
pool included — the media bridge is installed and reports reach the farm — and a node killed under its bots
is told to them as `node.lost`, not as a browser crash."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.async_api import async_playwright

from farm.browsers.browser_node import NodeLost
from farm.browsers.remote_node import RemoteBrowserNode
from tests.nodes.harness import NODE_TOKEN, browser_nodes
from tests.support.servers import serve_app

pytestmark = pytest.mark.browser


def _page_server() -> FastAPI:
    app = FastAPI()

    @app.get("/bot/ticket", response_class=HTMLResponse)
    async def page() -> str:
        return "<title>bot</title><p>bot page</p>"

    return app


async def test_a_remote_node_keeps_a_warm_pool_serves_bots_and_reports_its_loss() -> None:
    with browser_nodes(1, max_bots=2) as [process]:
        async with serve_app(_page_server()) as server:
            page_url = f"{server.base_url}/bot/ticket"
            node = RemoteBrowserNode(process.url, NODE_TOKEN, default_capacity=1)
            async with async_playwright() as playwright:
                node.use(playwright)
                node.apply(await node.check())
                assert (node.healthy, node.capacity) == (True, 2)  # the node's own --max-bots wins

                await node.prewarm(1)
                warm = process.browsers()
                assert node.warm == 1 and len(warm) == 1

                reports: list[dict[str, Any]] = []
                notices: list[str] = []
                bot = await node.open_bot(
                    "s/Room 1", page_url, on_report=reports.append, on_notice=lambda kind, _: notices.append(kind)
                )
                assert set(warm) <= set(process.browsers())  # the bot took the warm browser, still running...
                for _ in range(300):  # ...and the pool refills within the node's free slot (2 slots, 1 bot)
                    if node.warm == 1:
                        break
                    await asyncio.sleep(0.05)
                assert node.warm == 1 and len(process.browsers()) == 2
                assert await bot.evaluate("typeof navigator.mediaDevices.getUserMedia") == "function"
                await bot.evaluate("window.avatarfarmReport({type: 'heartbeat', stats: {humans_in_room: 1}})")
                for _ in range(300):
                    if reports:
                        break
                    await asyncio.sleep(0.05)
                assert reports == [{"type": "heartbeat", "stats": {"humans_in_room": 1}}]
                assert node.bots == 1

                process.kill()
                for _ in range(300):
                    if "node.lost" in notices:
                        break
                    await asyncio.sleep(0.05)
                assert [n for n in notices if not n.startswith("page.")] == ["node.lost"]  # not a crash
                assert not node.healthy and node.warm == 0 and node.bots == 0
                with pytest.raises(NodeLost):
                    await node.open_bot("s/Room 2", page_url, on_report=reports.append, on_notice=lambda *_: None)
                await node.stop()
