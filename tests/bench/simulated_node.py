"""The farm's browser-node seam, with simulated pages instead of Chromium (the department benchmark).

The farm runs every bot through a BrowserNode (farm/browsers/browser_node.py): `open_bot(name, url, on_report=…,
on_notice=…)` gives a bot whose page reports through `on_report` and obeys `evaluate(expression, arg, within=…)`.
This node keeps that interface and, instead of launching Chromium, asks a pages host (tests/bench/simulated_pages.py,
another process) over one WebSocket to open the bot's URL: the host loads the page from the farm's own HTTP endpoint
(redeeming its one-time ticket), and from then on plays the page's part of the protocol. Like Playwright's
connection to its driver, every report arrives here as one JSON message that is acknowledged, and every command
goes out as one and waits for its answer; the report is held to the same size limit as a browser's.

Nothing else of the farm is touched: what the manager does with a report is what it does with a browser's.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Error as PlaywrightError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from farm.browsers.browser_node import EVALUATE_TIMEOUT_SECONDS, MAX_REPORT_CHARS, PageUrl, url_now

log = logging.getLogger("avatarfarm.bench")


class SimulatedPageError(PlaywrightError):
    """The simulated page refused a command or is gone: raised as Playwright raises a page's, so the farm handles
    it as it handles a browser's."""


@dataclass
class SimulatedBot:
    """One bot's simulated page, as the farm holds a BotBrowser: `evaluate`, `close`, `closed`."""

    name: str
    number: int
    node: SimulatedNode
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def evaluate(self, expression: str, arg: Any = None, *, within: float = EVALUATE_TIMEOUT_SECONDS) -> Any:
        if self.closed.is_set():
            raise SimulatedPageError("Target page, context or browser has been closed")
        async with asyncio.timeout(within):
            return await self.node.call(self.number, "evaluate", {"expression": expression, "arg": arg})

    async def close(self) -> None:
        if not self.closed.is_set():
            with contextlib.suppress(SimulatedPageError, TimeoutError):
                await self.node.call(self.number, "close", {})
        self.closed.set()
        self.node.forget(self.number)


@dataclass
class _Open:
    bot: SimulatedBot
    on_report: Callable[[dict[str, Any]], Any]
    on_notice: Callable[[str, dict[str, Any]], None]


class SimulatedNode:
    """A BrowserNode whose browsers are simulated pages in the pages host at `pages_url` (ws://…)."""

    def __init__(self, pages_url: str, *, name: str = "simulated", capacity: int = 1000) -> None:
        self.name = name
        self.capacity = capacity
        self.healthy = True
        self.warm = 0
        self._url = pages_url
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._numbers = itertools.count(1)
        self._calls = itertools.count(1)
        self._answers: dict[int, asyncio.Future[Any]] = {}
        self._open: dict[int, _Open] = {}
        self._pending: set[asyncio.Task[Any]] = set()
        self._connecting = asyncio.Lock()
        self.reports = 0
        self.refused = 0

    @property
    def bots(self) -> int:
        return len(self._open)

    def use(self, playwright: Any) -> None:
        """The pool shares its Playwright driver with its nodes; a node of simulated pages needs none."""

    async def start(self) -> None:
        """Connects to the pages host (at the first bot, as a node launches its driver at its first browser)."""
        async with self._connecting:
            if self._socket is None:
                self._socket = await connect(self._url, max_size=4 * MAX_REPORT_CHARS)
                self._reader = asyncio.create_task(self._read(), name="simulated pages")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._socket is not None:
            await self._socket.close()
        self._socket = None

    async def prewarm(self, size: int) -> None:
        """No warm pool: opening a simulated page costs nothing worth keeping ahead."""

    def place(self, room_id: str) -> str:
        return self.name

    def forget(self, number: int) -> None:
        self._open.pop(number, None)

    async def open_bot(
        self,
        name: str,
        url: PageUrl,
        *,
        on_report: Callable[[dict[str, Any]], Any],
        on_notice: Callable[[str, dict[str, Any]], None],
        before_load: Any = None,
        room_id: str | None = None,
    ) -> SimulatedBot:
        await self.start()
        number = next(self._numbers)
        bot = SimulatedBot(name, number, self)
        self._open[number] = _Open(bot, on_report, on_notice)
        try:
            status = await self.call(number, "open", {"name": name, "url": url_now(url)})
        except BaseException:
            self.forget(number)
            raise
        if not 200 <= int(status) < 300:
            self.forget(number)
            # The farm's launch turns any other exception into launch_failed in words, as for a browser's.
            raise SimulatedPageError(f"the bot page answered HTTP {status}")
        return bot

    async def call(self, number: int, op: str, body: dict[str, Any]) -> Any:
        if self._socket is None:
            raise SimulatedPageError("the pages host is not connected")
        call = next(self._calls)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._answers[call] = answer
        try:
            await self._socket.send(json.dumps({"op": op, "bot": number, "call": call, **body}))
            async with asyncio.timeout(EVALUATE_TIMEOUT_SECONDS):
                return await answer
        except ConnectionClosed as exc:
            raise SimulatedPageError("the pages host is gone") from exc
        finally:
            self._answers.pop(call, None)

    async def _read(self) -> None:
        assert self._socket is not None
        try:
            async for raw in self._socket:
                self._receive(json.loads(raw))
        except ConnectionClosed:
            pass
        for opened in list(self._open.values()):
            opened.bot.closed.set()
            opened.on_notice("browser.disconnected", {})
        self._open.clear()

    def _receive(self, message: dict[str, Any]) -> None:
        if message["op"] == "answer":
            answer = self._answers.get(message["call"])
            if answer is not None and not answer.done():
                if "error" in message:
                    answer.set_exception(SimulatedPageError(message["error"]))
                else:
                    answer.set_result(message.get("value"))
            return
        opened = self._open.get(message["bot"])
        if opened is None:
            return
        if message["op"] == "closed":
            opened.bot.closed.set()
            self.forget(message["bot"])
            opened.on_notice("browser.disconnected", {})
            return
        report = message["report"]
        # A browser's binding call: measured against the size limit, handed to the farm, then resolved.
        if len(json.dumps(report, default=str)) > MAX_REPORT_CHARS:
            self.refused += 1
        else:
            self.reports += 1
            result = opened.on_report(report)
            if asyncio.iscoroutine(result):
                task = asyncio.ensure_future(result)
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
        if self._socket is not None:
            acked = self._socket.send(json.dumps({"op": "resolved", "bot": message["bot"], "seq": message["seq"]}))
            task = asyncio.ensure_future(acked)
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
