"""A bench-only browser node that runs every bot in its own BrowserContext of ONE shared Chromium, so the benchmark
can weigh several bots per browser against the farm's default of one browser per bot (per room).

It exists to measure, not to ship. What it gives up against one browser per room:
  * crash isolation: the browser process (and with --in-process-gpu the GPU thread, the network service and the
    audio service in it) is shared, so one crash, OOM kill or hang of it takes every room on it at once, where
    one browser per room costs one room only;
  * resource accounting: the rooms share one process tree, so a runaway room cannot be told apart, limited or
    killed on its own (no per-room PSS, cgroup or `kill -9`);
  * the caps of one Chromium: one process's memory and file descriptors, one media (audio) service, one set of
    launch flags for all rooms.
A BrowserContext still keeps each room's cookies, storage, permissions and init scripts apart, and each context
gets its own renderers (site isolation works per context), so the page-level sandbox is unchanged.

Each bot sees a `_ContextBrowser`: a per-bot view of the shared Chromium whose `close()` closes the bot's context
(never the shared browser) and which tells `disconnected` when that context closes, the shared browser's loss
included. Through it, PlaywrightNode's own preparation, warm pool and failure paths work unchanged. The shared
browser is launched with LocalBrowserNode's options (BOT_ARGS and the owner marker, so
tests/bench/process_stats.bot_trees finds it as one tree), relaunched if it is gone when a bot needs it, and closed
at stop().
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, cast

from playwright.async_api import Browser, BrowserContext, Playwright

from farm.browsers.browser_node import LocalBrowserNode

Listener = Callable[[Any], None]


class _ContextBrowser:
    """What PlaywrightNode treats as a bot's own browser: one context of the shared Chromium."""

    def __init__(self, shared: Browser) -> None:
        self._shared = shared
        self._context: BrowserContext | None = None
        self._listeners: list[Listener] = []
        self._gone = False

    def on(self, event: str, listener: Listener) -> None:
        if event != "disconnected":
            raise ValueError(f"a shared browser's per-bot view tells only 'disconnected', not {event!r}")
        self._listeners.append(listener)

    async def new_context(self, **options: Any) -> BrowserContext:
        if self._context is not None:
            raise RuntimeError("one context per bot")
        self._context = await self._shared.new_context(**options)
        # Playwright closes every context of a browser that disconnects (a crash included): this tells both.
        self._context.on("close", lambda _: self._tell_gone())
        return self._context

    def is_connected(self) -> bool:
        return not self._gone and self._shared.is_connected()

    async def close(self, **_: Any) -> None:
        """Closes this bot's context only; the shared browser and the other bots' contexts stay."""
        if self._context is not None:
            with contextlib.suppress(Exception):
                await self._context.close()
        self._tell_gone()

    def _tell_gone(self) -> None:
        if self._gone:
            return
        self._gone = True
        for listener in self._listeners:
            listener(self)


class SharedBrowserNode(LocalBrowserNode):
    """Every bot in its own BrowserContext of one Chromium launched with LocalBrowserNode's options."""

    def __init__(self, name: str = "shared", **options: Any) -> None:
        super().__init__(name, **options)
        self.shared: Browser | None = None
        self._launching = asyncio.Lock()

    async def _shared_browser(self, playwright: Playwright) -> Browser:
        async with self._launching:
            if self.shared is None or not self.shared.is_connected():
                self.shared = await playwright.chromium.launch(**self.launch_options())
            return self.shared

    async def _new_browser(self, playwright: Playwright) -> Browser:
        # PlaywrightNode only calls on(), new_context(), close() (and is_connected()) on what this returns.
        return cast(Browser, _ContextBrowser(await self._shared_browser(playwright)))

    async def stop(self) -> None:
        shared, self.shared = self.shared, None
        if shared is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(shared.close(), 10)
        await super().stop()
