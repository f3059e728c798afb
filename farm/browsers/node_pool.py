"""Placement over browser nodes: the farm's one BrowserNode, whatever runs the browsers.

With no AVATARFARM_BROWSER_NODES the pool holds the local node (browsers beside the manager). Otherwise it
holds a RemoteBrowserNode per address: ws://HOST:PORT/ as given, and dns+ws://NAME:PORT/ re-resolved every
10 s to one node per A record (a Kubernetes headless Service). A new bot goes to the healthy node with the most
free slots; the pool's capacity (what the farm's queue admits) is the sum of the healthy nodes' slots.

Nodes are probed every few seconds. A node that stops answering, refuses the token or drops its browsers is
marked down: its bots hear `node.lost` (their rooms are relaunched elsewhere) and the farm is told, so it can
record the event and shrink its capacity; a node that answers again is used again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.async_api import Playwright

from farm.browsers.browser_node import (
    DRIVER_ERRORS,
    LAUNCH_ERRORS,
    BotBrowser,
    ContextHook,
    LocalBrowserNode,
    NodeLost,
    NoticeHandler,
    PageUrl,
    PlaywrightNode,
    ReportHandler,
)
from farm.browsers.playwright_driver import start_playwright
from farm.browsers.remote_node import RemoteBrowserNode
from farm.cancellation import finish_cancelled
from farm.settings import Settings

log = logging.getLogger("avatarfarm.farm")

HEALTH_INTERVAL_SECONDS = 2.0
RESOLVE_INTERVAL_SECONDS = 10.0
UNCERTAIN_PROBES_TO_DOWN = 2


@dataclass(frozen=True)
class NodeStatus:
    name: str
    up: bool
    capacity: int
    bots: int
    problem: str | None = None


NodeChange = Callable[[NodeStatus], Awaitable[None]]


class NodePool:
    name = "pool"

    def __init__(
        self,
        nodes: list[PlaywrightNode],
        *,
        discovered: list[str] | None = None,
        token: str = "",
        node_capacity: int = 1,
        page_origin: str | None = None,
        health_interval: float = HEALTH_INTERVAL_SECONDS,
        resolve_interval: float = RESOLVE_INTERVAL_SECONDS,
    ) -> None:
        self._nodes: dict[str, PlaywrightNode] = {}
        self._discovered = list(discovered or [])
        self._token = token
        self._node_capacity = node_capacity
        self._page_origin = page_origin
        self._health_interval = health_interval
        self._resolve_interval = resolve_interval
        self._placed: dict[str, str] = {}  # room id -> node name, from placement until the room's slot ends
        self._warm = 0
        self._playwright: Playwright | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._changes: set[asyncio.Task[None]] = set()
        self.on_change: NodeChange | None = None
        for node in nodes:
            self._add(node)

    def _add(self, node: PlaywrightNode) -> None:
        if isinstance(node, RemoteBrowserNode):
            node.on_lost = self._node_lost
        self._nodes[node.name] = node
        if self._playwright is not None:
            node.use(self._playwright)

    # ---- lifecycle ------------------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._playwright is None:
            self._playwright = await start_playwright()
            for node in self._nodes.values():
                node.use(self._playwright)
        await self._resolve()
        await self._check_all()
        self._tasks = [asyncio.create_task(self._every(self._health_interval, self._check_all), name="node health")]
        if self._discovered:
            self._tasks.append(
                asyncio.create_task(self._every(self._resolve_interval, self._resolve), name="node discovery")
            )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            await finish_cancelled(task, task.get_name())
        for node in list(self._nodes.values()):
            await node.stop()
        if self._playwright is not None:
            playwright, self._playwright = self._playwright, None
            with contextlib.suppress(*DRIVER_ERRORS):
                await playwright.stop()

    async def _every(self, seconds: float, job: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:
                log.exception("browser node job failed")

    # ---- health -----------------------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        """Bot slots on the nodes that are up."""
        return sum(node.capacity for node in self._nodes.values() if node.healthy)

    @property
    def warm(self) -> int:
        return sum(node.warm for node in self._nodes.values())

    def status(self) -> list[NodeStatus]:
        placed = self._placed_counts()
        return [
            NodeStatus(
                name=node.name,
                up=node.healthy,
                capacity=node.capacity,
                bots=placed.get(node.name, 0),
                problem=None if node.healthy else getattr(node, "problem", None),
            )
            for node in sorted(self._nodes.values(), key=lambda n: n.name)
        ]

    def _status_of(self, node: PlaywrightNode) -> NodeStatus:
        return next(s for s in self.status() if s.name == node.name)

    async def _check_all(self) -> None:
        remote = [node for node in self._nodes.values() if isinstance(node, RemoteBrowserNode)]
        probes = await asyncio.gather(*(node.check() for node in remote))
        for node, probe in zip(remote, probes, strict=True):
            node.misses = 0 if probe.up or probe.certain else node.misses + 1
            if node.healthy and not probe.up and (probe.certain or node.misses >= UNCERTAIN_PROBES_TO_DOWN):
                node.mark_lost(probe.problem or "unreachable")  # tells the bots and, through on_lost, the farm
            elif node.healthy and not probe.up:
                log.info("browser node %s %s; probing again", node.name, probe.problem)
            elif not node.healthy and probe.up:
                node.apply(probe)
                log.info("browser node %s is up (%d slots)", node.name, node.capacity)
                self._changed(node)
                self._warm_up(node)
            else:
                node.apply(probe)

    def _node_lost(self, node: RemoteBrowserNode, problem: str) -> None:
        log.warning("browser node %s is down: %s", node.name, problem)
        self._changed(node)

    def _changed(self, node: PlaywrightNode) -> None:
        if self.on_change is None:
            return
        task = asyncio.ensure_future(self.on_change(self._status_of(node)))
        self._changes.add(task)
        task.add_done_callback(self._changes.discard)

    # ---- discovery --------------------------------------------------------------------------------------

    async def _resolve(self) -> None:
        loop = asyncio.get_running_loop()
        for url in self._discovered:
            parts = urlsplit(url)
            name, port = parts.hostname or "", parts.port or 0
            scheme = parts.scheme.removeprefix("dns+")
            try:
                infos = await loop.getaddrinfo(name, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                log.warning("could not resolve browser nodes at %s: %s", name, exc)
                continue  # keep what we have: a DNS blip is not every node gone
            addresses = {str(info[4][0]) for info in infos}
            wanted = {f"[{a}]:{port}" if ":" in a else f"{a}:{port}": a for a in addresses}
            for netloc in wanted:
                if netloc not in self._nodes:
                    found = RemoteBrowserNode(
                        f"{scheme}://{netloc}/",
                        self._token,
                        default_capacity=self._node_capacity,
                        page_origin=self._page_origin,
                    )
                    found.from_discovery = url
                    self._add(found)
                    found.apply(await found.check())
                    if found.healthy:
                        self._changed(found)
                        self._warm_up(found)
            for netloc, gone in list(self._nodes.items()):
                if isinstance(gone, RemoteBrowserNode) and gone.from_discovery == url and netloc not in wanted:
                    if gone.healthy:
                        gone.mark_lost(f"no longer in DNS for {name}")
                    del self._nodes[netloc]
                    await gone.stop()

    # ---- placement --------------------------------------------------------------------------------------

    def _placed_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name in self._placed.values():
            counts[name] = counts.get(name, 0) + 1
        return counts

    def place(self, room_id: str) -> str:
        """The healthy node with the most free slots (held for the room until release); ties go by name."""
        self._placed.pop(room_id, None)
        placed = self._placed_counts()
        candidates = [node for node in self._nodes.values() if node.healthy]
        if not candidates:
            raise NodeLost("no browser node is up")
        best = max(sorted(candidates, key=lambda n: n.name), key=lambda n: n.capacity - placed.get(n.name, 0))
        self._placed[room_id] = best.name
        free = ", ".join(f"{n.name}: {n.capacity - placed.get(n.name, 0)}" for n in candidates)
        log.info("room %s placed on browser node %s (free slots of the nodes up: %s)", room_id, best.name, free)
        return best.name

    def release(self, room_id: str) -> None:
        self._placed.pop(room_id, None)

    def node_of(self, room_id: str) -> str | None:
        return self._placed.get(room_id)

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
        key = room_id or name
        node = self._nodes.get(self._placed.get(key) or self.place(key))
        if node is None or not node.healthy:
            raise NodeLost(f"browser node {self._placed.get(key)} is down")
        return await node.open_bot(name, url, on_report=on_report, on_notice=on_notice, before_load=before_load)

    # ---- warm pools -------------------------------------------------------------------------------------

    async def prewarm(self, size: int) -> None:
        """Keep `size` ready browsers on every node that is up (within its free slots)."""
        self._warm = size
        await asyncio.gather(*(self._prewarm(node) for node in self._nodes.values() if node.healthy))

    async def _prewarm(self, node: PlaywrightNode) -> None:
        try:
            await node.prewarm(self._warm)
        except LAUNCH_ERRORS as exc:  # a node that cannot launch now is probed and retried like any other
            log.warning("could not prewarm browser node %s: %s", node.name, exc)

    def _warm_up(self, node: PlaywrightNode) -> None:
        if self._warm:
            task = asyncio.ensure_future(self._prewarm(node))
            self._changes.add(task)
            task.add_done_callback(self._changes.discard)


def node_pool(settings: Settings, given: PlaywrightNode | None = None) -> NodePool:
    """The pool `settings` describe; `given` (tests, bench) replaces the local node."""
    urls = settings.browser_node_urls
    if given is not None or not urls:
        node = given or LocalBrowserNode()
        node.capacity = min(node.capacity, settings.max_bots)
        return NodePool([node])
    token = settings.browser_node_token.get_secret_value() if settings.browser_node_token else ""
    static = [url for url in urls if not url.startswith("dns+")]
    page = urlsplit(settings.base_url)
    origin = f"{page.scheme}://{page.netloc}"
    return NodePool(
        [RemoteBrowserNode(url, token, default_capacity=settings.node_max_bots, page_origin=origin) for url in static],
        discovered=[url for url in urls if url.startswith("dns+")],
        token=token,
        node_capacity=settings.node_max_bots,
        page_origin=origin,
    )
