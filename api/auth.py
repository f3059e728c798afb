"""The API token: read from AVATARFARM_API_TOKEN, else generated once and kept under DATA_DIR (a private file,
see state/private_files.py); checked on every request except the health probes."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from api.dashboard.session_cookie import SESSION_COOKIE, check_cookie, has_session_cookie, verify
from api.errors import ApiError
from farm.credential_strength import weakness
from farm.settings import Settings
from state.private_files import PrivateFileError, create_private, read_private

TOKEN_FILE = "api_token"


@dataclass(frozen=True)
class ApiToken:
    value: str
    generated: bool
    source: str


def token_path(settings: Settings) -> Path:
    return settings.data_dir / TOKEN_FILE


def ensure_api_token(settings: Settings) -> ApiToken:
    """The configured token; else the one kept in DATA_DIR; else a new one written there (mode 0600, O_EXCL).

    Raises PrivateFileError (one line with the fix) when the kept file is a symlink, readable by others or
    holds a weak token (the configured one is checked with the settings)."""
    if settings.api_token is not None and settings.api_token.get_secret_value():
        return ApiToken(settings.api_token.get_secret_value(), False, "AVATARFARM_API_TOKEN")
    path = token_path(settings)
    stored = (read_private(path) or "").strip()
    if stored:
        why = weakness(stored)
        if why is not None:
            raise PrivateFileError(f"the API token kept in {path} {why} (or delete the file: a new one is made)")
        return ApiToken(stored, False, str(path))
    value = secrets.token_urlsafe(32)
    if path.exists():  # an empty file left behind: replaced, still never through a link
        path.unlink()
    if not create_private(path, value + "\n"):
        return ApiToken((read_private(path) or "").strip(), False, str(path))  # another process wrote it first
    return ApiToken(value, True, str(path))


def announce_token(token: ApiToken, *, to_terminal: bool) -> str | None:
    """What to print about a generated token: the token itself only on a terminal, else where it is kept."""
    if not token.generated:
        return None
    if to_terminal:
        return f"API token (shown once; kept in {token.source}):\n  {token.value}"
    return f"API token generated and kept in {token.source} (not printed: standard output is not a terminal)"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def check_token(presented: str | None, expected: str) -> None:
    """Raise 401 unless `presented` equals `expected` (constant-time comparison)."""
    challenge = {"WWW-Authenticate": 'Bearer realm="avatarfarm"'}
    if presented is None:
        raise ApiError(
            401,
            "unauthorized",
            "This endpoint needs the API token: send the header 'Authorization: Bearer <token>'.",
            headers=challenge,
        )
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "The API token is not valid for this server.", headers=challenge)


def authenticate(request: Request) -> None:
    """Raise 401 unless the request carries the bearer token, or else the dashboard's sign-in cookie (403 when
    a request that changes something lacks the cookie's CSRF token). Reads headers only, never the body."""
    presented = bearer_token(request)
    if presented is None and has_session_cookie(request):
        check_cookie(request)
        return
    check_token(presented, request.app.state.api_token)


def guessed_credential(request: Request) -> bool:
    """Whether a refused request offered a credential that could be a guess: a bearer token, or a sign-in cookie
    this server never signed. A cookie it did sign that expired or was signed out is no guess (an open dashboard
    tab keeps presenting it), so it does not count against the address."""
    if bearer_token(request) is not None:
        return True
    value = request.cookies.get(SESSION_COOKIE)
    return value is not None and verify(request.app.state.api_token, value, now=0) is None


async def require_token(request: Request) -> None:
    """FastAPI dependency guarding the API routes (the request guard has checked the same before the body)."""
    authenticate(request)
