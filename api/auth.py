"""The API's credentials, checked on every request except the health probes: the bootstrap token (the admin's:
AVATARFARM_API_TOKEN, else generated once and kept under DATA_DIR, a private file, see state/private_files.py),
professors' API tokens (api/professor_tokens.py) and the dashboard's sign-in cookie. Each resolves to a
Principal (api/principals.py)."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from api.dashboard.session_cookie import (
    BOOTSTRAP,
    SAFE_METHODS,
    SESSION_COOKIE,
    DashboardSession,
    check_cookie,
    current_session,
    has_session_cookie,
    verify,
)
from api.errors import ApiError
from api.principals import BOOTSTRAP_ADMIN, Principal
from api.professor_tokens import TOKEN_PREFIX, digest
from farm.credential_strength import weakness
from farm.settings import Settings
from state.private_files import PrivateFileError, create_private, read_private
from state.professors_repository import ADMIN_ID, WRITE
from state.repository import Repository

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


CHALLENGE = {"WWW-Authenticate": 'Bearer realm="avatarfarm"'}


def _missing() -> ApiError:
    return ApiError(
        401,
        "unauthorized",
        "This endpoint needs an API token: send the header 'Authorization: Bearer <token>'.",
        headers=CHALLENGE,
    )


def _wrong() -> ApiError:
    return ApiError(401, "unauthorized", "The API token is not valid for this server.", headers=CHALLENGE)


def check_token(presented: str | None, expected: str) -> None:
    """Raise 401 unless `presented` equals `expected` (constant-time comparison)."""
    if presented is None:
        raise _missing()
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise _wrong()


async def principal_for_token(request: Request, presented: str) -> Principal | None:
    """The principal a token stands for: the bootstrap token, or a live token of an enabled professor."""
    if hmac.compare_digest(presented.encode(), request.app.state.api_token.encode()):
        return BOOTSTRAP_ADMIN
    if not presented.startswith(TOKEN_PREFIX):
        return None
    repository: Repository = request.app.state.repository
    held = await repository.professors.token_holder(digest(request.app.state.token_key, presented))
    if held is None:
        return None
    token, professor = held
    await repository.professors.token_used(token, time.time())
    return Principal(professor.id, professor.is_admin, token.scope == WRITE, token.id)


async def principal_for_sign_in(request: Request, signed_in: DashboardSession) -> Principal | None:
    """The principal of a dashboard sign-in, while its professor is enabled and its token not revoked."""
    if signed_in.token_id == BOOTSTRAP:
        return BOOTSTRAP_ADMIN if signed_in.professor_id == ADMIN_ID else None
    repository: Repository = request.app.state.repository
    held = await repository.professors.live_token(signed_in.token_id)
    if held is None or held[1].id != signed_in.professor_id:
        return None
    token, professor = held
    return Principal(professor.id, professor.is_admin, token.scope == WRITE, token.id)


async def signed_in(request: Request) -> tuple[DashboardSession, Principal] | None:
    """The dashboard sign-in of a page request and its principal; None when signed out, expired, revoked or the
    professor disabled."""
    session = current_session(request)
    if session is None:
        return None
    principal = await principal_for_sign_in(request, session)
    return None if principal is None else (session, principal)


async def authenticate(request: Request) -> Principal:
    """The principal of the request's bearer token, or else of the dashboard's sign-in cookie (403 when a
    request that changes something lacks the cookie's CSRF token); 401 without either. A read-only token may
    not change anything (403). Reads headers only, never the body."""
    presented = bearer_token(request)
    if presented is None and has_session_cookie(request):
        principal = await principal_for_sign_in(request, check_cookie(request))
        if principal is None:
            raise ApiError(
                401,
                "unauthorized",
                "Your dashboard sign-in is no longer valid (its token was revoked or the account disabled); "
                "sign in again.",
                headers=CHALLENGE,
            )
    else:
        if presented is None:
            raise _missing()
        found = await principal_for_token(request, presented)
        if found is None:
            raise _wrong()
        principal = found
    if not principal.can_write and request.method not in SAFE_METHODS:
        raise ApiError(
            403,
            "read_only_token",
            "This API token may only read (its scope is 'read'); use a token with the scope 'write' to change "
            "anything.",
        )
    return principal


def guessed_credential(request: Request) -> bool:
    """Whether a refused request offered a credential that could be a guess: a bearer token, or a sign-in cookie
    this server never signed. A cookie it did sign that expired or was signed out is no guess (an open dashboard
    tab keeps presenting it), so it does not count against the address."""
    if bearer_token(request) is not None:
        return True
    value = request.cookies.get(SESSION_COOKIE)
    return value is not None and verify(request.app.state.api_token, value, now=0) is None


async def require_token(request: Request) -> None:
    """FastAPI dependency guarding the API routes: the request guard authenticated the request before its body
    was read and left the principal on the request; without the guard (a bare app), it is done here."""
    if not isinstance(getattr(request.state, "principal", None), Principal):
        request.state.principal = await authenticate(request)
