"""Who is calling: the account's API key (X-API-KEY), a session token (Bearer), or the admin token (Bearer).

Missing or wrong credentials give 401; valid credentials that may not do this give 403 (e.g. a session token
used for another session, or where only the API key is accepted).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request

from fakes.liveavatar.envelope import BusinessError, ErrorCode
from fakes.liveavatar.service import LiveAvatarService
from fakes.liveavatar.sessions import AvatarSession
from fakes.liveavatar.tokens import TokenError


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require_api_key(request: Request, service: LiveAvatarService) -> None:
    key = request.headers.get("x-api-key")
    if key is None:
        if _bearer(request) is not None:
            raise BusinessError(403, ErrorCode.FORBIDDEN, "This endpoint requires X-API-KEY, not a session token")
        raise BusinessError(401, ErrorCode.UNAUTHORIZED, "Missing X-API-KEY header")
    if not hmac.compare_digest(key, service.config.api_key):
        raise BusinessError(401, ErrorCode.UNAUTHORIZED, "Invalid API key")


def require_admin(request: Request, service: LiveAvatarService) -> None:
    token = _bearer(request)
    if token is None:
        raise BusinessError(401, ErrorCode.UNAUTHORIZED, "Missing admin token (Authorization: Bearer ...)")
    if not hmac.compare_digest(token, service.config.admin_token):
        raise BusinessError(403, ErrorCode.FORBIDDEN, "Invalid admin token")


def session_from_token(token: str, service: LiveAvatarService) -> AvatarSession:
    try:
        payload = service.tokens.verify(token, "session", service.config.wall_clock())
    except TokenError as exc:
        code = ErrorCode.TOKEN_EXPIRED if "expired" in str(exc) else ErrorCode.UNAUTHORIZED
        raise BusinessError(401, code, f"Invalid session token: {exc}") from None
    session = service.registry.get(str(payload.get("session_id", "")))
    if session is None:
        raise BusinessError(404, ErrorCode.SESSION_NOT_FOUND, "Session not found")
    return session


@dataclass(frozen=True)
class Caller:
    """A caller of an endpoint that takes either credential (stop, keep-alive)."""

    session: AvatarSession | None  # set for a session token
    api_key: bool


def require_session_token(request: Request, service: LiveAvatarService) -> AvatarSession:
    token = _bearer(request)
    if token is None:
        if request.headers.get("x-api-key") is not None:
            raise BusinessError(403, ErrorCode.FORBIDDEN, "This endpoint requires the session token (Bearer)")
        raise BusinessError(401, ErrorCode.UNAUTHORIZED, "Missing session token (Authorization: Bearer ...)")
    return session_from_token(token, service)


def session_token_or_api_key(request: Request, service: LiveAvatarService) -> Caller:
    token = _bearer(request)
    if token is not None:
        return Caller(session_from_token(token, service), api_key=False)
    require_api_key(request, service)
    return Caller(None, api_key=True)
