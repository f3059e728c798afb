"""The bench's shared-browser node, with real Chromium on a loopback page: two bots in two contexts of one
Chromium (one process tree for the benchmark to count), a bot's close closes its context only, the shared
browser is closed at stop(), and a crash of the shared browser reaches every bot on it (the isolation it gives up).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.bench.per_bot import by_process_kind
from tests.bench.process_stats import bot_trees
from tests.bench.shared_browser import SharedBrowserNode
from tests.support.servers import RunningServer, serve_app

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><title>bot</title>
<script>window.avatarfarmReport({type: "heartbeat", state: new URL(location.href).searchParams.get("bot")});</script>"""


async def _page(_: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)


async def _no_icon(_: Request) -> Response:
    return Response(status_code=204)


@pytest.fixture
async def pages() -> AsyncIterator[RunningServer]:
    async with serve_app(Starlette(routes=[Route("/bot", _page), Route("/favicon.ico", _no_icon)])) as server:
        yield server


class Heard:
    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self.notices: list[str] = []

    def report(self, message: dict[str, Any]) -> None:
        self.reports.append(message)

    def notice(self, kind: str, detail: dict[str, Any]) -> None:
        self.notices.append(kind)


async def _until(condition: Callable[[], object], seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_bots_share_one_chromium_and_a_bots_close_leaves_the_browser_to_the_others(
    pages: RunningServer,
) -> None:
    node = SharedBrowserNode(capacity=4)
    await node.start()
    try:
        first, second = Heard(), Heard()
        bot_1 = await node.open_bot(
            "one", f"{pages.base_url}/bot?bot=one", on_report=first.report, on_notice=first.notice
        )
        bot_2 = await node.open_bot(
            "two", f"{pages.base_url}/bot?bot=two", on_report=second.report, on_notice=second.notice
        )
        await _until(lambda: first.reports and second.reports)
        assert [r["state"] for r in first.reports] == ["one"]  # each bot hears its own page only
        assert [r["state"] for r in second.reports] == ["two"]
        assert bot_1.context is not bot_2.context
        [tree] = bot_trees()  # one marked Chromium: the benchmark counts its tree once
        kinds = by_process_kind(tree)
        assert kinds["browser"]["processes"] == 1
        assert kinds["renderer"]["processes"] >= 2, kinds  # a context's pages never share another's renderer
        assert node.shared is not None

        await bot_1.close()
        assert bot_1.closed.is_set()
        await _until(lambda: "browser.disconnected" in first.notices)  # as when a bot's own browser closes
        assert node.shared.is_connected()
        assert await bot_2.evaluate("() => new URL(location.href).searchParams.get('bot')") == "two"
        assert not bot_2.closed.is_set()
        assert second.notices == []
        assert len(bot_trees()) == 1

        shared = node.shared
        await node.stop()
        assert not shared.is_connected()
        await _until(lambda: bot_2.closed.is_set() and not bot_trees())
    finally:
        await node.stop()


async def test_a_crash_of_the_shared_browser_takes_every_bot_on_it(pages: RunningServer) -> None:
    node = SharedBrowserNode(capacity=4)
    await node.start()
    try:
        heard = [Heard(), Heard()]
        bots = [
            await node.open_bot(f"b{i}", f"{pages.base_url}/bot?bot={i}", on_report=h.report, on_notice=h.notice)
            for i, h in enumerate(heard)
        ]
        await _until(lambda: all(h.reports for h in heard))
        [tree] = bot_trees()
        os.kill(tree[0], signal.SIGKILL)
        await _until(lambda: all(bot.closed.is_set() for bot in bots))
        assert all(h.notices == ["browser.disconnected"] for h in heard)
    finally:
        await node.stop()
