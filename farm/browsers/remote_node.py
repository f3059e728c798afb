"""A browser node on another machine (`avatarfarm node`), reached over Playwright's own protocol.

Each bot is one connection (`chromium.connect`), and the node launches one Chromium for it with the farm's
flags. The node's `GET /info` (same token) tells its bot limit; a probe of it says whether the node is up. When
a bot's browser disconnects, the node is probed at once: if it answers, only that browser died (a crash);
if not, the node is lost and every bot on it hears so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from playwright.async_api import Browser, Error, Playwright

from farm.browsers.browser_node import NodeLost, PlaywrightNode, _Dispatch
from farm.browsers.node_server import LAUNCH_TIMEOUT_MS, PAGE_ORIGIN_HEADER
from farm.tls_context import shared_tls_context

log = logging.getLogger("avatarfarm.farm")

PROBE_TIMEOUT_SECONDS = 5.0
# Longer than the node's own limit on a launch: the node's answer (with what the browser said) comes first. Given
# less (it was 30 s against the node's 60), a launch the loaded node was about to finish was abandoned, and the
# room spent a retry on it.
CONNECT_TIMEOUT_MS = LAUNCH_TIMEOUT_MS + 15_000


@dataclass(frozen=True)
class Probe:
    up: bool
    max_bots: int | None = None
    problem: str | None = None
    # Refused connections and wrong tokens are certain; a timeout may be a busy node or network, so the
    # health check waits for a second one before it calls the node down.
    certain: bool = True


class RemoteBrowserNode(PlaywrightNode):
    def __init__(
        self,
        ws_url: str,
        token: str,
        *,
        default_capacity: int,
        page_origin: str | None = None,
        on_lost: Callable[[RemoteBrowserNode, str], None] | None = None,
    ) -> None:
        parts = urlsplit(ws_url)
        super().__init__(parts.netloc, capacity=default_capacity)
        self.ws_url = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
        http_scheme = "https" if parts.scheme == "wss" else "http"
        self.info_url = urlunsplit((http_scheme, parts.netloc, "/info", "", ""))
        self.default_capacity = default_capacity
        self.healthy = False  # until a probe says otherwise
        self.problem: str | None = "not probed yet"
        self._token = token
        self._page_origin = page_origin
        self.on_lost = on_lost
        self.from_discovery: str | None = None  # the dns+ws:// address this node was found at
        self._checking: asyncio.Task[Probe] | None = None
        self._followups: set[asyncio.Task[None]] = set()
        self.misses = 0  # uncertain failed probes in a row
        # One HTTP client for the node's probes (every 2 s): a new client each time built a TLS context (CA
        # bundle and all) per probe, a tenth of the farm's CPU with three nodes.
        self._http: httpx.AsyncClient | None = None

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def probe(self) -> Probe:
        """Ask the node for its limits; any failure (refused, timeout, wrong token) means down."""
        if self._http is None:
            self._http = httpx.AsyncClient(verify=shared_tls_context(), timeout=PROBE_TIMEOUT_SECONDS)
        try:
            response = await self._http.get(self.info_url, headers=self._headers)
        except httpx.TimeoutException as exc:
            return Probe(False, problem=f"did not answer ({type(exc).__name__})", certain=False)
        except httpx.HTTPError as exc:
            return Probe(False, problem=f"unreachable ({type(exc).__name__})")
        if response.status_code == 401:
            return Probe(False, problem="refused the node token")
        if response.status_code != 200:
            return Probe(False, problem=f"answered HTTP {response.status_code}")
        try:
            max_bots = response.json().get("max_bots")
        except ValueError:
            return Probe(False, problem="answered something that is not a browser node")
        return Probe(True, max_bots=int(max_bots) if isinstance(max_bots, int) and max_bots > 0 else None)

    async def stop(self) -> None:
        await super().stop()
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    def apply(self, probe: Probe) -> None:
        self.healthy = probe.up
        self.problem = probe.problem
        if probe.up:
            self.capacity = probe.max_bots or self.default_capacity

    async def check(self) -> Probe:
        """One probe at a time per node; callers arriving meanwhile share its answer."""
        if self._checking is None or self._checking.done():
            self._checking = asyncio.ensure_future(self.probe())
        return await asyncio.shield(self._checking)

    async def _new_browser(self, playwright: Playwright) -> Browser:
        try:
            headers = self._headers | ({PAGE_ORIGIN_HEADER: self._page_origin} if self._page_origin else {})
            return await playwright.chromium.connect(self.ws_url, headers=headers, timeout=CONNECT_TIMEOUT_MS)
        except Error as exc:
            probe = await self.check()
            if not probe.up:
                self.mark_lost(probe.problem or "unreachable")
                raise NodeLost(f"browser node {self.name} is down: {probe.problem}") from exc
            raise

    def _browser_gone(self, dispatch: _Dispatch) -> None:
        task = asyncio.ensure_future(self._after_disconnect(dispatch))
        self._followups.add(task)
        task.add_done_callback(self._followups.discard)

    async def _after_disconnect(self, dispatch: _Dispatch) -> None:
        probe = await self.check()
        if probe.up:
            dispatch.notice("browser.disconnected", {})
            return
        dispatch.notice("node.lost", {"node": self.name, "problem": probe.problem})
        self.mark_lost(probe.problem or "unreachable")

    def mark_lost(self, problem: str) -> None:
        was_healthy = self.healthy
        self.healthy = False
        self.problem = problem
        self.lose({"node": self.name, "problem": problem})
        if was_healthy and self.on_lost is not None:
            self.on_lost(self, problem)
