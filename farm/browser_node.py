"""Browser nodes: where a bot's Chromium runs. Today only LocalBrowserNode (a Chromium on this machine, launched
through Playwright); the farm talks to nodes only through this interface, so a remote node (Playwright's
browser server in a container) can join later without touching the farm.

A BotBrowser is one Chromium with one page: the media bridge installed before any script, the report binding
exposed, console lines and page errors forwarded, and crashes and disconnections signalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, async_playwright

from farm.chromium import base_args, chromium_executable

log = logging.getLogger("avatarfarm.farm")

MEDIA_BRIDGE = Path(__file__).resolve().parents[1] / "bot_page" / "js" / "media-bridge.js"
REPORT_BINDING = "avatarfarmReport"
EVALUATE_TIMEOUT_SECONDS = 15.0

# Many bots on few cores: no throttling of a page nobody looks at, no GPU process of its own.
BOT_ARGS = (
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--in-process-gpu",
)

ReportHandler = Callable[[dict[str, Any]], Awaitable[None] | None]
NoticeHandler = Callable[[str, dict[str, Any]], None]
ContextHook = Callable[[BrowserContext], None]


@cache
def media_bridge_source() -> str:
    return MEDIA_BRIDGE.read_text(encoding="utf-8")


@dataclass
class BotBrowser:
    """One bot's Chromium and page. `closed` is set when the browser is gone for any reason."""

    name: str
    browser: Browser
    context: BrowserContext
    page: Page
    closed: asyncio.Event

    async def evaluate(self, expression: str, arg: Any = None) -> Any:
        async with asyncio.timeout(EVALUATE_TIMEOUT_SECONDS):
            return await self.page.evaluate(expression, arg)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.browser.close(), 10)
        self.closed.set()


class BrowserNode(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def open_bot(
        self,
        name: str,
        url: str,
        *,
        on_report: ReportHandler,
        on_notice: NoticeHandler,
        before_load: ContextHook | None = None,
    ) -> BotBrowser: ...


class LocalBrowserNode:
    """Launches one headless Chromium per bot on this machine."""

    def __init__(self, name: str = "local", *, extra_args: tuple[str, ...] = ()) -> None:
        self.name = name
        self.extra_args = extra_args
        self._playwright: Playwright | None = None

    async def start(self) -> None:
        if self._playwright is None:
            self._playwright = await async_playwright().start()

    async def stop(self) -> None:
        if self._playwright is not None:
            playwright, self._playwright = self._playwright, None
            with contextlib.suppress(Exception):
                await playwright.stop()

    def launch_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"headless": True, "args": [*base_args(), *BOT_ARGS, *self.extra_args]}
        executable = chromium_executable()
        if executable:
            options["executable_path"] = executable
        return options

    async def open_bot(
        self,
        name: str,
        url: str,
        *,
        on_report: ReportHandler,
        on_notice: NoticeHandler,
        before_load: ContextHook | None = None,
    ) -> BotBrowser:
        """Launch a Chromium and load the bot page at `url`; `before_load` may watch the context first."""
        await self.start()
        assert self._playwright is not None
        browser = await self._playwright.chromium.launch(**self.launch_options())
        closed = asyncio.Event()

        def disconnected(_: Browser) -> None:
            closed.set()
            on_notice("browser.disconnected", {})

        browser.on("disconnected", disconnected)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 720})
            await context.add_init_script(media_bridge_source())

            async def report(_source: Any, message: Any) -> None:
                if isinstance(message, dict):
                    result = on_report(message)
                    if asyncio.iscoroutine(result):
                        await result

            await context.expose_binding(REPORT_BINDING, report)
            if before_load is not None:
                before_load(context)
            page = await context.new_page()
            page.on("crash", lambda _: on_notice("page.crashed", {}))
            page.on("pageerror", lambda error: on_notice("page.error", {"message": str(error)[:500]}))
            page.on("console", lambda message: _console(message, on_notice))
            await page.goto(url, wait_until="domcontentloaded")
        except BaseException:
            with contextlib.suppress(Exception):
                await browser.close()
            raise
        return BotBrowser(name, browser, context, page, closed)


def _console(message: ConsoleMessage, on_notice: NoticeHandler) -> None:
    if message.type in ("error", "warning"):
        on_notice("page.console", {"level": message.type, "text": message.text[:500]})
