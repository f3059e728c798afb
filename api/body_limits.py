"""How large a request body may be. Every body (JSON, a form) gets AVATARFARM_MAX_BODY_BYTES (1 MiB); a route
that takes uploads opts in to its own cap with an entry in the limit table: `"METHOD /path/{param}": bytes`,
`{…}` standing for one path segment. The table is DEFAULT_LIMITS below with AVATARFARM_BODY_LIMITS (a JSON
object of the same form) laid over it. The request guard (api/request_guard.py) enforces the cap, after
authentication and before the route reads a byte."""

from __future__ import annotations

import re
from dataclasses import dataclass

from farm.settings import Settings

MIB = 1024 * 1024

# Routes with a cap of their own. Course materials (slides, readings) are uploads: 50 MiB each.
DEFAULT_LIMITS: dict[str, int] = {
    "POST /api/materials": 50 * MIB,
    # A sign-in form holds a token and two short fields.
    "POST /dashboard/sign-in": 16 * 1024,
}

_PARAM = re.compile(r"\{[^/{}]+\}")


def _pattern(path: str) -> re.Pattern[str]:
    parts = _PARAM.split(path)
    return re.compile("[^/]+".join(re.escape(part) for part in parts) + "/?")


@dataclass(frozen=True)
class RouteLimit:
    method: str
    path: str
    pattern: re.Pattern[str]
    limit: int


@dataclass(frozen=True)
class BodyLimits:
    default: int
    routes: tuple[RouteLimit, ...] = ()

    @classmethod
    def from_table(cls, default: int, table: dict[str, int]) -> BodyLimits:
        routes = []
        for key, limit in table.items():
            method, _, path = key.partition(" ")  # the form is checked by Settings
            routes.append(RouteLimit(method.upper(), path, _pattern(path), limit))
        return cls(default, tuple(routes))

    @classmethod
    def for_settings(cls, settings: Settings) -> BodyLimits:
        return cls.from_table(settings.max_body_bytes, {**DEFAULT_LIMITS, **settings.body_limits})

    def limit(self, method: str, path: str) -> int:
        """The cap on the body of `method path`: its route's own, else the default."""
        for route in self.routes:
            if route.method == method and route.pattern.fullmatch(path):
                return route.limit
        return self.default


def in_words(size: int) -> str:
    """1048576 -> '1 MiB', 16384 -> '16 KiB'."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"
