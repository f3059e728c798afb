"""Prometheus metrics: HTTP traffic counted by an ASGI middleware, farm state read from the store at scrape."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from farm import loop_clock
from farm.browsers.node_pool import NodeStatus
from state.models import AvatarSessionStatus, RoomStatus, SessionStatus
from state.repository import Repository


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "avatarfarm_http_requests",
            "HTTP requests handled, by route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "avatarfarm_http_request_duration_seconds",
            "Time to the response's first byte, by route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.sessions = Gauge("avatarfarm_sessions", "Sessions by status.", ["status"], registry=self.registry)
        self.rooms = Gauge("avatarfarm_rooms", "Rooms by status.", ["status"], registry=self.registry)
        self.avatar_sessions = Gauge(
            "avatarfarm_avatar_sessions", "Avatar sessions by status.", ["status"], registry=self.registry
        )
        self.avatar_minutes = Gauge(
            "avatarfarm_avatar_minutes", "Avatar minutes recorded, all sessions.", registry=self.registry
        )
        self.avatar_credits = Gauge(
            "avatarfarm_avatar_credits", "LiveAvatar credits recorded, all sessions.", registry=self.registry
        )
        self.node_up = Gauge(
            "avatarfarm_browser_node_up",
            "1 when the browser node answers, 0 when it is down.",
            ["node"],
            registry=self.registry,
        )
        self.node_slots = Gauge(
            "avatarfarm_browser_node_slots", "Bot slots of the browser node.", ["node"], registry=self.registry
        )
        self.node_bots = Gauge(
            "avatarfarm_browser_node_bots", "Bots placed on the browser node.", ["node"], registry=self.registry
        )
        self.loop_stalled = Gauge(
            "avatarfarm_event_loop_stalled_seconds",
            "Seconds the farm's event loop was stalled since it started (a machine short of CPU); bots are not"
            " judged for that time.",
            registry=self.registry,
        )
        self.event_listeners = Gauge(
            "avatarfarm_event_listeners", "Live event listeners (SSE streams and internal).", registry=self.registry
        )

    async def render(self, repository: Repository, nodes: list[NodeStatus] | None = None) -> bytes:
        counts = await repository.sessions.status_counts()
        for gauge, statuses, key in (
            (self.sessions, SessionStatus, "sessions"),
            (self.rooms, RoomStatus, "rooms"),
            (self.avatar_sessions, AvatarSessionStatus, "avatar_sessions"),
        ):
            for status in statuses:
                gauge.labels(status=status.value).set(counts[key].get(status.value, 0))
        usage = await repository.sessions.total_usage()
        self.avatar_minutes.set(usage.minutes)
        self.avatar_credits.set(usage.credits)
        self.event_listeners.set(repository.bus.listeners)
        self.loop_stalled.set(round(loop_clock.clock().stalled_seconds, 3))
        for gauge in (self.node_up, self.node_slots, self.node_bots):
            gauge.clear()  # a node gone from DNS leaves no stale series
        for node in nodes or []:
            self.node_up.labels(node=node.name).set(1 if node.up else 0)
            self.node_slots.labels(node=node.name).set(node.capacity)
            self.node_bots.labels(node=node.name).set(node.bots)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts every HTTP request under its route template (never the raw path, which holds ids)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    @staticmethod
    def _route(scope: Scope) -> str:
        # Routing has run by the time the response starts, and it records the matched route in the scope.
        route = scope.get("route")
        return str(getattr(route, "path", None) or "unmatched")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        status_code = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                self.metrics.latency.labels(method=method, route=self._route(scope)).observe(
                    time.perf_counter() - started
                )
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.requests.labels(method=method, route=self._route(scope), status=str(status_code)).inc()
