"""Fault injection and the call log, as one ASGI middleware in front of the public API.

A fault makes the next `times` calls of one endpoint (method + path template, e.g. "POST /v1/sessions/start",
"GET /v1/sessions/{session_id}"; method "*" matches any) fail with:
* "500": HTTP 500, envelope {code: 500, message: "...injected..."};
* "429": HTTP 429 with Retry-After: 1, envelope {code: 429, ...};
* "hang": no answer for `hang_seconds` (default 30) or until the client gives up, then HTTP 504;
* "slow": the call waits `hang_seconds`, then is answered as usual (a vendor slow at that moment).
Admin, health and static routes are never faulted. Every HTTP call and WebSocket connect (faulted or not) is
recorded in the call log with its status, so tests can assert what a client really sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultKind = Literal["500", "429", "hang", "slow"]
_UNFAULTED_PREFIXES = ("/admin", "/healthz", "/sdk", "/previews")


def _template_regex(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path.rstrip("/") or "/"))
    return re.compile(f"^{pattern}/?$")


@dataclass
class Fault:
    method: str
    path: str
    kind: FaultKind
    remaining: int
    hang_seconds: float = 30.0
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    hits: int = 0

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self._regex = _template_regex(self.path)

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and self.method in ("*", method) and bool(self._regex.match(path))

    def schema(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "fault": self.kind,
            "remaining": self.remaining,
            "hits": self.hits,
            "hang_seconds": self.hang_seconds,
        }


@dataclass
class CallRecord:
    time: float
    method: str
    path: str
    query: str
    status: int | None
    fault: str | None
    auth: str  # "api_key" | "bearer" | "none"

    def schema(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "fault": self.fault,
            "auth": self.auth,
        }


class FaultInjector:
    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.calls: deque[CallRecord] = deque(maxlen=2000)

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                fault.hits += 1
                return fault
        return None

    def clear(self) -> None:
        self.faults.clear()


def _auth_kind(scope: Scope) -> str:
    headers = {key.decode("latin-1").lower(): value for key, value in scope.get("headers", [])}
    if "x-api-key" in headers:
        return "api_key"
    if headers.get("authorization", b"").lower().startswith(b"bearer "):
        return "bearer"
    return "none"


class FaultMiddleware:
    def __init__(self, app: ASGIApp, injector: FaultInjector, clock: Any) -> None:
        self.app = app
        self.injector = injector
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method = scope.get("method", "WEBSOCKET") if scope["type"] == "http" else "WEBSOCKET"
        record = CallRecord(
            self.clock(), method, path, scope.get("query_string", b"").decode("latin-1"), None, None, _auth_kind(scope)
        )
        if not path.startswith(("/admin", "/healthz")):
            self.injector.calls.append(record)
        fault = None
        if scope["type"] == "http" and method != "OPTIONS" and not path.startswith(_UNFAULTED_PREFIXES):
            fault = self.injector.take(method, path)
        if fault is not None:
            record.fault = fault.kind
            if fault.kind != "slow":
                record.status = await self._inject(fault, receive, send)
                return
            await asyncio.sleep(fault.hang_seconds)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = int(message["status"])
            elif message["type"] == "websocket.accept":
                record.status = 101
            elif message["type"] == "websocket.close" and record.status is None:
                record.status = 403
            await send(message)

        await self.app(scope, receive, recording_send)

    async def _inject(self, fault: Fault, receive: Receive, send: Send) -> int:
        if fault.kind == "hang":
            await self._hang(fault.hang_seconds, receive)
            status, code, message, headers = 504, 504, "Gateway timeout (injected hang)", []
        elif fault.kind == "429":
            status, code, message, headers = 429, 429, "Too many requests (injected)", [(b"retry-after", b"1")]
        else:
            status, code, message, headers = 500, 500, "Internal server error (injected)", []
        body = json.dumps({"code": code, "data": None, "message": message}).encode()
        with contextlib.suppress(Exception):
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"application/json"), *headers],
                }
            )
            await send({"type": "http.response.body", "body": body})
        return status

    @staticmethod
    async def _hang(seconds: float, receive: Receive) -> None:
        async def client_gone() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client_gone(), timeout=seconds)
