"""Browser nodes: where a bot's Chromium runs. LocalBrowserNode launches Chromium on this machine;
RemoteBrowserNode (farm/browsers/remote_node.py) connects to a browser node on another machine (`avatarfarm node`);
NodePool (farm/browsers/node_pool.py) places bots over several nodes. The farm talks to all of them only through the
BrowserNode interface.

A BotBrowser is one Chromium with one page: the media bridge installed before any script, the report binding
exposed (taken from the bot page's own main frame only, while it shows the bot page, up to a size: a report
from an iframe, a popup or a page the window was navigated to is refused and noted once per cause), console
lines, page errors and the page's own error reports forwarded without secrets and within a per-bot budget, and
crashes and disconnections signalled. Chromium, and the Playwright driver that launches it, get an environment
of what they need, never the farm's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright
from playwright.async_api import Error as PlaywrightError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from farm.browsers.chromium import (
    HEADLESS_UNUSED_FEATURES,
    base_args,
    browser_env,
    chromium_executable,
    feature_args,
    sandboxed,
)
from farm.browsers.console_lines import ConsoleBudget, launch_failure, without_secrets
from farm.browsers.orphans import owner_marker
from farm.browsers.playwright_driver import start_playwright
from farm.cancellation import finish_cancelled
from state.vocabulary import EventKind

log = logging.getLogger("avatarfarm.farm")

MEDIA_BRIDGE = Path(__file__).resolve().parents[2] / "bot_page" / "js" / "media-bridge.js"
REPORT_BINDING = "avatarfarmReport"
EVALUATE_TIMEOUT_SECONDS = 15.0
# The largest report a page may send: a heartbeat with its thumbnail (a 160 px JPEG) is well below it.
MAX_REPORT_CHARS = 64 * 1024

# Many bots on few cores: no throttling of a page nobody looks at, no GPU process of its own, and none of the
# processes a bot never uses (each measured; README, "What a bot costs"):
#   * the browser UI headless Chromium preloads (chromium.py's HEADLESS_UNUSED_FEATURES): a renderer, ~45 MiB;
#   * the spare renderer kept warm for a next navigation (a bot navigates once): ~14 MiB;
#   * the audio and network services in their own utility processes (~20 and ~25 MiB): they run in the browser
#     process instead. Both handle only our own pages' and the meeting's traffic; the renderers, which decode
#     what participants send, keep their own sandboxed processes;
#   * the on-device model service, which Chromium starts three minutes in to rate the machine for its built-in AI
#     models (a utility process and, with the sandbox, a broker: ~12 MiB, found by the memory soak): given the
#     machine's class, Chromium never rates it. Class 2 is "very low", one no on-device model runs on.
ON_DEVICE_MODEL_CLASS_ARG = "--optimization-guide-performance-class=2"
BOT_DISABLED_FEATURES = (
    *HEADLESS_UNUSED_FEATURES,
    "SpareRendererForSitePerProcess",
    "AudioServiceOutOfProcess",
)
BOT_ENABLED_FEATURES = ("NetworkServiceInProcess2",)
BOT_ARGS = (
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--in-process-gpu",
    ON_DEVICE_MODEL_CLASS_ARG,
    *feature_args(BOT_DISABLED_FEATURES, BOT_ENABLED_FEATURES),
)

# A Chromium that dies while it starts is started again at once, once: a fresh-clone run saw the bot's Chromium
# end by SIGSEGV within a second of its launch twice in one run on a loaded machine (about one launch in
# thousands), and such a crash is no reason to spend a room's retry budget, or to fail it where there is none.
LAUNCH_ATTEMPTS = 2
DIED_STARTING = ("<process did exit", "Target page, context or browser has been closed")

TERMINAL_NOTICES = frozenset({"browser.disconnected", "node.lost"})
# What a command to a page (or closing a browser) can fail with: the page refused (a script error), it is gone
# (closed target, browser or connection), or it did not answer in time.
PAGE_ERRORS: tuple[type[Exception], ...] = (PlaywrightError, TimeoutError)
# What stopping the Playwright driver can fail with: the driver or its pipe is already gone.
DRIVER_ERRORS: tuple[type[Exception], ...] = (PlaywrightError, OSError)

ReportHandler = Callable[[dict[str, Any]], Awaitable[None] | None]
# A bot page's URL, or how to make it once its browser is ready: a one-time bot URL expires, and its clock must
# not run while a loaded node launches the browser (tens of seconds).
PageUrl = str | Callable[[], str]
NoticeHandler = Callable[[str, dict[str, Any]], None]
ContextHook = Callable[[BrowserContext], None]


def url_now(url: PageUrl) -> str:
    return url() if callable(url) else url


def page_address(url: str) -> str:
    """A page's origin and path: what stays of the bot page's URL while it is the bot page."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


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

    async def evaluate(self, expression: str, arg: Any = None, *, within: float = EVALUATE_TIMEOUT_SECONDS) -> Any:
        async with asyncio.timeout(within):
            return await self.page.evaluate(expression, arg)

    async def close(self) -> None:
        with contextlib.suppress(*PAGE_ERRORS):
            await asyncio.wait_for(self.browser.close(), 10)
        self.closed.set()


class NodeLost(Exception):
    """The node a bot was to run on is gone (refused or dropped the connection); not the room's fault."""


# What launching (or connecting to) a browser can fail with, beyond a page's errors: its node is gone.
LAUNCH_ERRORS: tuple[type[Exception], ...] = (*PAGE_ERRORS, NodeLost)


class PageLoadFailed(Exception):
    """The bot page answered with an error status instead of the page."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the bot page answered HTTP {status}")
        self.status = status


class BrowserNode(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def prewarm(self, size: int) -> None:
        """Keep `size` browsers launched and ready with the media bridge installed."""

    def place(self, room_id: str) -> str:
        """Choose (and hold) where the room's next bot runs; returns that node's name for the bots row."""

    async def open_bot(
        self,
        name: str,
        url: PageUrl,
        *,
        on_report: ReportHandler,
        on_notice: NoticeHandler,
        before_load: ContextHook | None = None,
        room_id: str | None = None,
    ) -> BotBrowser: ...


class _Dispatch:
    """Routes a prepared browser's reports and notices to the bot that takes it (set when taken).

    A report is taken only from the bot's own page (not a popup it opened), from its main frame (not an iframe),
    while that frame shows the bot page (not a page it navigated to), and when it is at most MAX_REPORT_CHARS
    long; anything else is refused and noted once per cause. The page's own error reports go through the same
    scrubber and budget as its console lines."""

    def __init__(self, console_budget: ConsoleBudget | None = None) -> None:
        self.on_report: ReportHandler | None = None
        self.on_notice: NoticeHandler | None = None
        self.gone = False  # the browser's end was told once (a crash or the node's loss), never twice
        self.page: Any = None  # the bot's page, once created
        self.page_address: str | None = None  # the bot page's origin and path, once a bot takes the browser
        self.refusals_noted: set[str] = set()
        self.console_budget = console_budget or ConsoleBudget()
        self._tell_dropped: asyncio.TimerHandle | None = None

    def _refusal(self, frame: Any, page: Any, message: Any) -> str | None:
        if page is None or page is not self.page:
            return "from another window than the bot page (a popup)"
        if frame != page.main_frame:
            return "not from the bot page's main frame"
        if self.page_address is None or page_address(str(getattr(frame, "url", "") or "")) != self.page_address:
            return "from a page the bot's window was navigated to"
        if not isinstance(message, dict):
            return "not an object"
        if len(json.dumps(message, default=str)) > MAX_REPORT_CHARS:
            return f"longer than {MAX_REPORT_CHARS} characters"
        return None

    async def report(self, source: Any, message: Any) -> None:
        frame = source.get("frame") if isinstance(source, dict) else None
        page = source.get("page") if isinstance(source, dict) else None
        why = self._refusal(frame, page, message)
        if why is not None:
            if why not in self.refusals_noted:
                self.refusals_noted.add(why)
                url = without_secrets(getattr(frame, "url", "") or "")
                self.notice("page.report_ignored", {"why": why, "frame_url": url})
            return
        if message.get("type") == "event" and message.get("kind") == EventKind.page_error.value:
            detail = message.get("detail")
            text = detail.get("message") if isinstance(detail, dict) else None
            self.page_text("page.error", {"message": without_secrets(str(text or ""))})
            return
        if self.on_report is not None:
            result = self.on_report(message)
            if asyncio.iscoroutine(result):
                await result

    def notice(self, kind: str, detail: dict[str, Any]) -> None:
        if kind in TERMINAL_NOTICES:
            if self.gone:
                return
            self.gone = True
            if self._tell_dropped is not None:
                self._tell_dropped.cancel()
        if self.on_notice is not None:
            self.on_notice(kind, detail)

    def page_text(self, kind: str, detail: dict[str, Any]) -> None:
        """A console line or page error (already without secrets), told within the bot's console budget."""
        if not self.console_budget.admit():
            if self._tell_dropped is None:
                loop = asyncio.get_running_loop()
                self._tell_dropped = loop.call_later(self.console_budget.interval, self._dropped)
            return
        self._dropped()
        self.notice(kind, detail)

    def _dropped(self) -> None:
        if self._tell_dropped is not None:
            self._tell_dropped.cancel()
            self._tell_dropped = None
        count = self.console_budget.take_dropped()
        if count and not self.gone:
            words = self.console_budget.dropped_words(count)
            self.notice("page.console", {"level": "warning", "text": words, "dropped": count})


@dataclass
class _Prepared:
    browser: Browser
    context: BrowserContext
    page: Page
    closed: asyncio.Event
    dispatch: _Dispatch


class PlaywrightNode:
    """One Chromium per bot through Playwright, optionally from a warm pool of browsers that are already
    running with the media bridge installed (a bot then only has to load its page). Subclasses say how a
    browser is obtained (launched here, or connected to on a browser node) and what its loss means."""

    def __init__(self, name: str, *, capacity: int) -> None:
        self.name = name
        self.capacity = capacity
        self.healthy = True
        self._playwright: Playwright | None = None
        self._own_playwright = False
        self._pool: list[_Prepared] = []
        self._pool_size = 0
        self._refilling: asyncio.Task[None] | None = None
        self._open: dict[int, _Dispatch] = {}  # browsers handed to bots, by id(), for notices
        self._closing: set[asyncio.Task[None]] = set()
        self.console_budget: Callable[[], ConsoleBudget] = ConsoleBudget  # one per bot

    def use(self, playwright: Playwright) -> None:
        """Share a Playwright driver (a pool of nodes needs one, not one per node)."""
        self._playwright = playwright

    async def start(self) -> None:
        if self._playwright is None:
            self._playwright = await start_playwright()
            self._own_playwright = True

    async def _new_browser(self, playwright: Playwright) -> Browser:
        raise NotImplementedError

    def _browser_gone(self, dispatch: _Dispatch) -> None:
        dispatch.notice("browser.disconnected", {})

    def place(self, room_id: str) -> str:
        return self.name

    @property
    def bots(self) -> int:
        return len(self._open)

    async def stop(self) -> None:
        self._pool_size = 0
        if self._refilling is not None:
            self._refilling.cancel()
            await finish_cancelled(self._refilling, f"the warm pool refill of node {self.name}")
        pool, self._pool = self._pool, []
        for prepared in pool:
            with contextlib.suppress(*PAGE_ERRORS):
                await prepared.browser.close()
        if self._closing:
            await asyncio.wait(self._closing)
        if self._playwright is not None:
            playwright, self._playwright = self._playwright, None
            if self._own_playwright:
                with contextlib.suppress(*DRIVER_ERRORS):
                    await playwright.stop()

    @property
    def warm(self) -> int:
        return sum(1 for p in self._pool if not p.closed.is_set())

    async def prewarm(self, size: int) -> None:
        """Keep `size` browsers launched and ready; returns once they are."""
        self._pool_size = size
        await self._refill()

    def _warm_target(self) -> int:
        # Warm browsers take slots on the node too: never more than the slots bots leave free.
        return max(0, min(self._pool_size, self.capacity - self.bots)) if self.healthy else 0

    async def _refill(self) -> None:
        self._pool = [p for p in self._pool if not p.closed.is_set()]
        while len(self._pool) < self._warm_target():
            self._pool.append(await self._prepare())

    def _refill_later(self) -> None:
        if self._pool_size and (self._refilling is None or self._refilling.done()):
            self._refilling = asyncio.create_task(self._refill_quietly(), name=f"warm pool refill {self.name}")

    def _starting_again(self, state: RetryCallState) -> None:
        failed = state.outcome.exception() if state.outcome is not None else None
        said = launch_failure(failed) if failed is not None else "?"
        log.warning("a browser on node %s died while starting; starting another: %s", self.name, said)

    async def _refill_quietly(self) -> None:
        try:
            await self._refill()
        except LAUNCH_ERRORS as exc:  # a node that cannot launch now gets its pool back at the next refill
            log.warning("warm pool of node %s not refilled: %s", self.name, exc)

    async def _prepare(self, steps: list[str] | None = None) -> _Prepared:
        steps = [] if steps is None else steps
        steps.append("starting Playwright's driver")
        await self.start()
        assert self._playwright is not None
        steps.append("launching Chromium")
        launching: asyncio.Future[Browser] = asyncio.ensure_future(
            started_again_once(self._starting_again)(self._new_browser, self._playwright)
        )
        try:
            browser: Browser = await asyncio.shield(launching)
        except asyncio.CancelledError:
            launching.add_done_callback(self._close_unwanted)
            raise
        steps.append("opening its page")
        closed = asyncio.Event()
        dispatch = _Dispatch(self.console_budget())

        def disconnected(_: Browser) -> None:
            closed.set()
            self._open.pop(id(dispatch), None)
            self._browser_gone(dispatch)

        browser.on("disconnected", disconnected)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 720})
            await context.add_init_script(media_bridge_source())
            await context.expose_binding(REPORT_BINDING, dispatch.report)
            page = await context.new_page()
            dispatch.page = page
            page.on("crash", lambda _: dispatch.notice("page.crashed", {}))
            page.on("pageerror", lambda error: _page_error(error, dispatch))
            page.on("console", lambda message: _console(message, dispatch))
        except BaseException:
            with contextlib.suppress(*PAGE_ERRORS):
                await browser.close()
            raise
        return _Prepared(browser, context, page, closed, dispatch)

    async def open_bot(
        self,
        name: str,
        url: PageUrl,
        *,
        on_report: ReportHandler,
        on_notice: NoticeHandler,
        before_load: ContextHook | None = None,
        room_id: str | None = None,
    ) -> BotBrowser:
        """A Chromium (from the warm pool when one is ready) loading the bot page at `url` (made, when it is a
        function, once the browser is ready)."""
        prepared = None
        while self._pool and prepared is None:
            candidate = self._pool.pop(0)
            if not candidate.closed.is_set():
                prepared = candidate
        self._refill_later()
        steps: list[str] = []  # what the start is doing, for the log when it is stopped (a deadline, a room's end)
        began = asyncio.get_running_loop().time()
        try:
            return await self._load(name, prepared, steps, url, on_report, on_notice, before_load)
        except asyncio.CancelledError:
            spent = asyncio.get_running_loop().time() - began
            log.info("the start of bot %s on node %s stopped while %s (%.1f s)", name, self.name, steps[-1], spent)
            raise

    async def _load(
        self,
        name: str,
        prepared: _Prepared | None,
        steps: list[str],
        url: PageUrl,
        on_report: ReportHandler,
        on_notice: NoticeHandler,
        before_load: ContextHook | None,
    ) -> BotBrowser:
        if prepared is None:
            prepared = await self._prepare(steps)
        else:
            steps.append("taking a warm browser")
        prepared.dispatch.on_report = on_report
        prepared.dispatch.on_notice = on_notice
        if not prepared.closed.is_set():
            self._open[id(prepared.dispatch)] = prepared.dispatch
        if before_load is not None:
            before_load(prepared.context)
        steps.append("loading the bot page")
        try:
            address = url_now(url)
            prepared.dispatch.page_address = page_address(address)
            response = await prepared.page.goto(address, wait_until="domcontentloaded")
            if response is not None and not 200 <= response.status < 300:
                raise PageLoadFailed(response.status)
        except BaseException:
            self._open.pop(id(prepared.dispatch), None)
            with contextlib.suppress(*PAGE_ERRORS):
                await prepared.browser.close()
            raise
        return BotBrowser(name, prepared.browser, prepared.context, prepared.page, prepared.closed)

    def _close_unwanted(self, launching: asyncio.Future[Browser]) -> None:
        """A launch its bot gave up on (a deadline, a room that ended) still ends: its browser is closed."""
        if launching.cancelled() or launching.exception() is not None:
            return
        self._close_later(launching.result())

    def _close_later(self, browser: Browser) -> None:
        task = asyncio.ensure_future(_close_quietly(browser))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def lose(self, detail: dict[str, Any]) -> None:
        """The node is gone: every bot on it hears `node.lost`, and its warm browsers are dropped."""
        for dispatch in list(self._open.values()):
            dispatch.notice("node.lost", dict(detail))
        self._open.clear()
        pool, self._pool = self._pool, []
        for prepared in pool:
            prepared.closed.set()
            # A node cut off from us may still hold the connection: let it go rather than leak it there.
            self._close_later(prepared.browser)


class LocalBrowserNode(PlaywrightNode):
    """Launches one headless Chromium per bot on this machine."""

    def __init__(
        self,
        name: str = "local",
        *,
        extra_args: tuple[str, ...] = (),
        bot_args: tuple[str, ...] = BOT_ARGS,
        capacity: int = 1000,
    ) -> None:
        super().__init__(name, capacity=capacity)
        self.extra_args = extra_args
        self.bot_args = bot_args

    def launch_options(self) -> dict[str, Any]:
        args = [*base_args(), *self.bot_args, *self.extra_args, owner_marker()]
        options: dict[str, Any] = {
            "headless": True,
            "args": args,
            "env": browser_env(),
            "chromium_sandbox": sandboxed(),
        }
        executable = chromium_executable()
        if executable:
            options["executable_path"] = executable
        return options

    async def _new_browser(self, playwright: Playwright) -> Browser:
        return await playwright.chromium.launch(**self.launch_options())


def died_starting(exc: BaseException) -> bool:
    """Whether a launch (or a node's connect) failed because the browser itself ended while starting."""
    return isinstance(exc, PlaywrightError) and any(words in str(exc) for words in DIED_STARTING)


def started_again_once(before_sleep: Callable[[RetryCallState], None] | None = None) -> AsyncRetrying:
    """How a launch (or a node's connect) is retried: at once, once, and only when the browser died starting."""
    return AsyncRetrying(
        stop=stop_after_attempt(LAUNCH_ATTEMPTS),
        retry=retry_if_exception(died_starting),
        before_sleep=before_sleep,
        reraise=True,
    )


async def _close_quietly(browser: Browser) -> None:
    with contextlib.suppress(*PAGE_ERRORS):
        await asyncio.wait_for(browser.close(), 10)


def _console(message: ConsoleMessage, dispatch: _Dispatch) -> None:
    if message.type in ("error", "warning"):
        dispatch.page_text("page.console", {"level": message.type, "text": without_secrets(message.text)})


def _page_error(error: Exception, dispatch: _Dispatch) -> None:
    dispatch.page_text("page.error", {"message": without_secrets(str(error))})
