"""LiveAvatar's per-caller, per-endpoint request limit over a fixed one-second window (docs.liveavatar.com, Rate
Limits): the caller is the X-API-KEY, else the Bearer session token, else the client's address; the endpoint is
the method and the route's path template (path parameters ignored). A request over the limit is answered 429
with Retry-After and X-RateLimit-* headers, in the usual envelope.

The limit (`rate_limit_per_second`, 0: none) is the fake's own number, settable at start-up and through
PUT /admin/limits: LiveAvatar's table of per-endpoint figures is not reproduced here.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

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

    def admit(self, caller: str, endpoint: str, now: float, limit: int) -> float | None:
        """None when the request may go on; else the seconds left in the caller's current window."""
        start = math.floor(now)
        window = self.windows.get((caller, endpoint))
        if window is None or window.start != start:
            window = self.windows[(caller, endpoint)] = _Window(start)
            if len(self.windows) > 10_000:  # forget windows long past
                self.windows = {name: w for name, w in self.windows.items() if w.start >= start}
        if window.count >= limit:
            return start + 1.0 - now
        window.count += 1
        return None


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
    left = service.rate_limiter.admit(_caller(request), endpoint, service.config.clock(), limit)
    if left is not None:
        raise BusinessError(
            429,
            ErrorCode.TOO_MANY_REQUESTS,
            f"Rate limit exceeded: at most {limit} requests per second to {endpoint}",
            headers={
                "Retry-After": str(max(1, math.ceil(left))),
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{left:.3f}",
            },
        )
