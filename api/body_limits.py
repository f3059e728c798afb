"""How large a request body may be. Every body (JSON, a form) gets AVATARFARM_MAX_BODY_BYTES (1 MiB); a route
that takes uploads opts in to its own cap with an entry in the limit table: `"METHOD /path/{param}": bytes`,
`{…}` standing for one path segment. The table is DEFAULT_LIMITS below, then the course-material upload's cap
(AVATARFARM_MAX_UPLOAD_MB and its form's fields), then AVATARFARM_BODY_LIMITS (a JSON object of the same form)
laid over it. The request guard (api/request_guard.py) enforces the cap, after authentication and before the
route reads a byte; the upload route also counts its file as it streams in, with the same words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from farm.settings import Settings

MIB = 1024 * 1024

# Routes with a cap of their own. A sign-in form holds a token and two short fields.
DEFAULT_LIMITS: dict[str, int] = {
    "POST /dashboard/sign-in": 16 * 1024,
}
UPLOAD_ROUTE = "POST /api/materials"
# What a course-material upload's form carries beside its file (the boundaries, the course's name).
UPLOAD_FORM_OVERHEAD = 64 * 1024
GENERIC_WORDS = (
    "The request body is larger than this server takes here ({size}). Send less: long texts belong in course "
    "materials, not in one request."
)


def upload_too_large_words(settings: Settings) -> str:
    return (
        f"The file is larger than this server takes ({settings.max_upload_mb:g} MB, set by "
        "AVATARFARM_MAX_UPLOAD_MB). Split it, or export it without large pictures, and upload the parts."
    )


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
    words: str = ""  # the refusal, when the route has words of its own


@dataclass(frozen=True)
class BodyLimits:
    default: int
    routes: tuple[RouteLimit, ...] = ()

    @classmethod
    def from_table(cls, default: int, table: dict[str, int], words: dict[str, str] | None = None) -> BodyLimits:
        routes = []
        for key, limit in table.items():
            method, _, path = key.partition(" ")  # the form is checked by Settings
            routes.append(RouteLimit(method.upper(), path, _pattern(path), limit, (words or {}).get(key, "")))
        return cls(default, tuple(routes))

    @classmethod
    def for_settings(cls, settings: Settings) -> BodyLimits:
        upload = {UPLOAD_ROUTE: settings.max_upload_bytes + UPLOAD_FORM_OVERHEAD}
        return cls.from_table(
            settings.max_body_bytes,
            {**DEFAULT_LIMITS, **upload, **settings.body_limits},
            {UPLOAD_ROUTE: upload_too_large_words(settings)},
        )

    def _route(self, method: str, path: str) -> RouteLimit | None:
        for route in self.routes:
            if route.method == method and route.pattern.fullmatch(path):
                return route
        return None

    def limit(self, method: str, path: str) -> int:
        """The cap on the body of `method path`: its route's own, else the default."""
        route = self._route(method, path)
        return route.limit if route is not None else self.default

    def refusal(self, method: str, path: str) -> str:
        """The words of a 413 for `method path`."""
        route = self._route(method, path)
        if route is not None and route.words:
            return route.words
        return GENERIC_WORDS.format(size=in_words(self.limit(method, path)))


def in_words(size: int) -> str:
    """1048576 -> '1 MiB', 16384 -> '16 KiB'."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"
