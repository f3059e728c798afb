"""The ASGI middleware in front of every route: who may send a body, how large, and how much one client may
hold open. In this order, before a route reads a byte:

1. An address with too many failed credentials lately is refused (429, Retry-After; api/auth_throttle.py).
2. API paths (/api/…, /openapi.json, /metrics) need the API token or the dashboard's sign-in cookie: a request
   without is answered 401 with its body unread, and a wrong credential counts as a failure of its address
   (logged with the address, never the token). Dashboard forms other than sign-in need the sign-in cookie.
3. A body larger than its cap (api/body_limits.py) is refused with 413 in words: at once when Content-Length
   says so, and when a chunked body grows past the cap, as soon as it does (what was read is dropped).
4. One client address holds at most AVATARFARM_MAX_REQUESTS_PER_CLIENT requests to the API and the dashboard
   and AVATARFARM_MAX_STREAMS_PER_CLIENT event streams at once (429). The bot page and its static files are
   not counted: local bots all load them from one loopback address.

Refusals with a body still unsent carry `Connection: close`, so the server never reads the rest.
"""

from __future__ import annotations

import logging
from collections import Counter

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import authenticate, guessed_credential
from api.auth_throttle import AuthThrottle, wait_in_words
from api.body_limits import BodyLimits
from api.dashboard.session_cookie import current_session
from api.errors import ApiError
from farm.settings import Settings

log = logging.getLogger("avatarfarm.api")

SIGN_IN = "/dashboard/sign-in"
# Paths answered with a Server-Sent Events stream: held open for as long as the client listens.
STREAM_PATHS = frozenset({"/api/events"})
# Open to anyone: Zoom sends the professor's browser back here after authorizing avatarfarm (its own state check).
OPEN_API_PATHS = frozenset({"/api/zoom/callback"})
TOKEN_PATHS = frozenset({"/openapi.json", "/metrics"})


class BodyTooLarge(Exception):
    """A chunked body grew past its cap while the route read it."""


def needs_token(path: str) -> bool:
    return path in TOKEN_PATHS or (path.startswith("/api/") and path not in OPEN_API_PATHS)


def needs_sign_in(method: str, path: str) -> bool:
    """Dashboard forms (other than sign-in and sign-out, which work signed out) are posted signed in."""
    return (
        method not in ("GET", "HEAD", "OPTIONS")
        and path.startswith("/dashboard/")
        and path not in (SIGN_IN, "/dashboard/sign-out")
    )


def is_counted(path: str) -> bool:
    """Requests that count against a client's bound: the API's and the dashboard's. The bot page and its files
    are not: every local bot loads them from the same loopback address, six at a time each."""
    return needs_token(path) or path.startswith("/dashboard") or path.startswith("/api/")


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"", b"0")):
            return True
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _error(status: int, error: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "message": message, "detail": []}, status_code=status, headers=headers)


class RequestGuard:
    def __init__(self, app: ASGIApp, settings: Settings, throttle: AuthThrottle) -> None:
        self.app = app
        self.limits = BodyLimits.for_settings(settings)
        self.max_requests = settings.max_requests_per_client
        self.max_streams = settings.max_streams_per_client
        self.throttle = throttle
        self.requests: Counter[str] = Counter()
        self.streams: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = client_address(scope)
        refusal = self._refusal(scope, address)
        if refusal is not None:
            if _has_body(scope):
                refusal.headers["Connection"] = "close"
            await refusal(scope, receive, send)
            return
        counted = is_counted(scope["path"])
        stream = scope["path"] in STREAM_PATHS
        if counted:
            self.requests[address] += 1
        if stream:
            self.streams[address] += 1
        try:
            await self._guarded(scope, receive, send, scope["method"], scope["path"])
        finally:
            if counted:
                self._release(self.requests, address)
            if stream:
                self._release(self.streams, address)

    @staticmethod
    def _release(counter: Counter[str], address: str) -> None:
        counter[address] -= 1
        if counter[address] <= 0:
            del counter[address]

    def _refusal(self, scope: Scope, address: str) -> Response | None:
        method, path = scope["method"], scope["path"]
        if needs_token(path) or (path == SIGN_IN and method == "POST"):
            wait = self.throttle.retry_after(address)
            if wait is not None:
                return self._throttled(path, wait)
        if needs_token(path):
            request = Request(scope)
            try:
                authenticate(request)
            except ApiError as exc:
                if exc.status == 401 and guessed_credential(request):
                    self.throttle.failed(address)
                    log.warning("refused a wrong API credential from %s (%s %s)", address, method, path)
                return _error(exc.status, exc.error, exc.message, exc.headers)
        elif needs_sign_in(method, path) and current_session(Request(scope)) is None:
            return RedirectResponse(f"{SIGN_IN}?next=/dashboard", status_code=303)
        limit = self.limits.limit(method, path)
        length = _content_length(scope)
        if length is not None and length > limit:
            return self._too_large(self.limits.refusal(method, path))
        if is_counted(path) and self.requests[address] >= self.max_requests:
            return _error(
                429,
                "too_many_requests",
                f"This address already has {self.max_requests} requests under way; wait for them to finish.",
                {"Retry-After": "1"},
            )
        if path in STREAM_PATHS and self.streams[address] >= self.max_streams:
            return _error(
                429,
                "too_many_streams",
                f"This address already follows {self.max_streams} event streams; close one (another tab or "
                "window of the dashboard) and try again.",
                {"Retry-After": "5"},
            )
        return None

    @staticmethod
    def _throttled(path: str, wait: int) -> Response:
        words = f"Too many wrong sign-in attempts from your address; try again in {wait_in_words(wait)}."
        headers = {"Retry-After": str(wait)}
        if path == SIGN_IN:
            return HTMLResponse(f"<!doctype html><title>Try again later</title><p>{words}</p>", 429, headers)
        return _error(429, "too_many_attempts", words.replace("sign-in attempts", "API tokens"), headers)

    @staticmethod
    def _too_large(words: str) -> Response:
        return _error(413, "body_too_large", words, {"Connection": "close"})

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, method: str, path: str) -> None:
        limit = self.limits.limit(method, path)
        words = self.limits.refusal(method, path)
        received = 0
        exceeded = False
        started = False
        replaced = False

        async def capped_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(f"more than {limit} bytes")
            return message

        async def checked_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start" and exceeded and not started:
                # The route answered the body it could not read (FastAPI turns the error into a 400): say why.
                replaced = True
                await self._too_large(words)(scope, receive, send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped_receive, checked_send)
        except BodyTooLarge:
            if not started and not replaced:
                await self._too_large(words)(scope, receive, send)
