"""The dashboard's sign-in: a signed session cookie derived from the API token, and CSRF tokens.

The cookie never holds the API token. It is `v1.<nonce>.<expires>.<signature>`, signed with a key derived
from the API token (HMAC-SHA256), so changing the token signs everybody out and a stolen cookie cannot be
used as a bearer token. Sign-out revokes the cookie's nonce in memory until it expires.

Requests authenticated by the cookie that change state (anything but GET/HEAD/OPTIONS) must also send the
session's CSRF token in the `X-CSRF-Token` header (pages carry it in a <meta> tag). Another site can neither
read that token nor, with SameSite=Strict, get the cookie sent; bearer-token clients are not affected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request, Response

from api.errors import ApiError
from state.private_files import read_private, replace_private

SESSION_COOKIE = "avatarfarm_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_SECONDS = 12 * 3600
VERSION = "v1"
_KEY_LABEL = b"avatarfarm dashboard session v1"


@dataclass(frozen=True)
class DashboardSession:
    """A signed-in browser: its nonce (what sign-out revokes), expiry and CSRF token."""

    nonce: str
    expires: int
    csrf_token: str


@dataclass
class Revocations:
    """Nonces of signed-out cookies, kept until the cookie would have expired anyway. With a `path` (under
    DATA_DIR, a private file) they outlive a restart: a signed-out cookie stays dead."""

    path: Path | None = None
    _until: dict[str, int] = field(default_factory=dict)
    _loaded: bool = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.path is None:
            return
        now = int(time.time())
        for line in (read_private(self.path) or "").splitlines():
            nonce, _, until = line.partition(" ")
            if until.isdigit() and int(until) > now:
                self._until[nonce] = int(until)

    def revoke(self, session: DashboardSession) -> None:
        self._load()
        now = int(time.time())
        self._until = {nonce: until for nonce, until in self._until.items() if until > now}
        self._until[session.nonce] = session.expires
        if self.path is not None:
            text = "".join(f"{nonce} {until}\n" for nonce, until in self._until.items())
            replace_private(self.path, text)

    def is_revoked(self, nonce: str) -> bool:
        self._load()
        return nonce in self._until


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _key(api_token: str) -> bytes:
    return hmac.new(api_token.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _sign(api_token: str, message: str) -> str:
    return _b64(hmac.new(_key(api_token), message.encode(), hashlib.sha256).digest())


def _csrf(api_token: str, nonce: str) -> str:
    return _sign(api_token, f"csrf.{nonce}")[:32]


def issue(api_token: str, *, now: float | None = None) -> tuple[str, DashboardSession]:
    """A new cookie value and the session it stands for."""
    nonce = secrets.token_urlsafe(18)
    expires = int(now if now is not None else time.time()) + SESSION_SECONDS
    payload = f"{VERSION}.{nonce}.{expires}"
    return f"{payload}.{_sign(api_token, payload)}", DashboardSession(nonce, expires, _csrf(api_token, nonce))


def verify(api_token: str, value: str, *, now: float | None = None) -> DashboardSession | None:
    """The session a cookie value stands for, or None when it is forged, malformed or expired."""
    parts = value.split(".")
    if len(parts) != 4 or parts[0] != VERSION or not parts[2].isdigit():
        return None
    payload = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3].encode(), _sign(api_token, payload).encode()):
        return None
    expires = int(parts[2])
    if expires <= (now if now is not None else time.time()):
        return None
    return DashboardSession(parts[1], expires, _csrf(api_token, parts[1]))


def _revocations(request: Request) -> Revocations | None:
    revocations: Revocations | None = getattr(request.app.state, "dashboard_revocations", None)
    return revocations


def current_session(request: Request) -> DashboardSession | None:
    """The signed-in dashboard session of this request, if its cookie is valid and not signed out."""
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    session = verify(request.app.state.api_token, value)
    revocations = _revocations(request)
    if session is None or (revocations is not None and revocations.is_revoked(session.nonce)):
        return None
    return session


def csrf_matches(session: DashboardSession, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), session.csrf_token.encode())


def has_session_cookie(request: Request) -> bool:
    return bool(request.cookies.get(SESSION_COOKIE))


def check_cookie(request: Request) -> DashboardSession:
    """Authenticate an API request by the dashboard cookie: 401 when it is not valid, 403 when a
    state-changing request lacks the session's CSRF token."""
    session = current_session(request)
    if session is None:
        raise ApiError(
            401,
            "unauthorized",
            "Your dashboard sign-in has expired or was signed out; sign in again.",
            headers={"WWW-Authenticate": 'Bearer realm="avatarfarm"'},
        )
    if request.method not in SAFE_METHODS and not csrf_matches(session, request.headers.get(CSRF_HEADER)):
        raise ApiError(
            403,
            "csrf_failed",
            f"This request used the dashboard's sign-in cookie without its CSRF token (header {CSRF_HEADER}). "
            "Reload the dashboard and try again.",
        )
    return session


def secure_cookies(request: Request) -> bool:
    """Cookies get the Secure flag when the dashboard is reached over HTTPS, or is published as an https URL
    (PUBLIC_BASE_URL behind a TLS-terminating proxy)."""
    settings = getattr(request.app.state, "settings", None)
    public = str(getattr(settings, "public_base_url", None) or "")
    return request.url.scheme == "https" or public.startswith("https://")


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure_cookies(request))


def revoke(request: Request, session: DashboardSession) -> None:
    revocations = _revocations(request)
    if revocations is not None:
        revocations.revoke(session)
