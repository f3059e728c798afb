"""LiveAvatar's per-caller, per-endpoint request limit over a fixed one-second window (docs.liveavatar.com, Rate
Limits): the caller is the X-API-KEY, else the Bearer session token, else the client's address; the endpoint is
the method and the route's path template (path parameters ignored). Every answer of a limited endpoint carries
X-RateLimit-Limit, -Remaining and -Reset (seconds left in the window); a request over the limit is answered 429
with Retry-After as well, in the usual envelope.

The limit (`rate_limit_per_second`, 0: none) is the fake's own number, settable at start-up and through
PUT /admin/limits: LiveAvatar's table of per-endpoint figures is not reproduced here.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.liveavatar.envelope import BusinessError, ErrorCode

if TYPE_CHECKING:
    from fakes.liveavatar.service import LiveAvatarService


@dataclass
class _Window:
    start: float
    count: int = 0


@dataclass
class RateLimiter:
    windows: dict[tuple[str, str], _Window] = field(default_factory=dict)

    def admit(self, caller: str, endpoint: str, now: float, limit: int) -> tuple[bool, int, float]:
        """Whether the request may go on, the requests left in the caller's window, and the seconds to its end."""
        start = math.floor(now)
        window = self.windows.get((caller, endpoint))
        if window is None or window.start != start:
            window = self.windows[(caller, endpoint)] = _Window(start)
            if len(self.windows) > 10_000:  # forget windows long past
                self.windows = {name: w for name, w in self.windows.items() if w.start >= start}
        admitted = window.count < limit
        if admitted:
            window.count += 1
        return admitted, limit - window.count, start + 1.0 - now


_HEADERS = "avatarfarm_rate_limit_headers"  # where a limited request's headers wait for its answer (scope state)


class RateLimitHeaders:
    """Adds the X-RateLimit-* headers enforce_rate_limit chose to the answer, whatever produced it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def sending(message: Message) -> None:
            headers = state.get(_HEADERS) if message["type"] == "http.response.start" else None
            if headers:
                extra = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, sending)


def _caller(request: Request) -> str:
    key = request.headers.get("x-api-key")
    if key:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode()).hexdigest()[:16]
    return "ip:" + (request.client.host if request.client else "unknown")


async def enforce_rate_limit(request: Request) -> None:
    """A router dependency: runs after routing, so the route's template names the endpoint."""
    service: LiveAvatarService = request.app.state.service
    limit = service.config.rate_limit_per_second
    if limit <= 0:
        return
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    endpoint = f"{request.method} {template}"
    admitted, remaining, left = service.rate_limiter.admit(_caller(request), endpoint, service.config.clock(), limit)
    setattr(
        request.state,
        _HEADERS,
        {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": f"{left:.3f}"},
    )
    if not admitted:
        raise BusinessError(
            429,
            ErrorCode.TOO_MANY_REQUESTS,
            f"Rate limit exceeded: at most {limit} requests per second to {endpoint}",
            headers={"Retry-After": str(max(1, math.ceil(left)))},
        )
