"""JWTs the fake issues: the session token (its payload carries start_session_data, which the web SDK decodes
client-side) and the token in a LITE session's `ws_url`. (The LiveKit tokens are avatar_room.py's.)"""

from __future__ import annotations

import secrets
from typing import Any

import jwt

ALGORITHM = "HS256"


class TokenError(Exception):
    """Bad signature, wrong kind, or expired."""


class TokenIssuer:
    def __init__(self, secret: str | None = None) -> None:
        self._secret = secret or secrets.token_urlsafe(32)

    def session_token(self, session_id: str, start_session_data: dict[str, Any], now: float, ttl: float) -> str:
        payload = {
            "kind": "session",
            "sub": session_id,
            "session_id": session_id,
            "iat": int(now),
            "exp": int(now + ttl),
            "start_session_data": start_session_data,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def lite_token(self, session_id: str, now: float, ttl: float) -> str:
        """The token in a LITE session's `ws_url`: admits that session's socket (socket_auth.py)."""
        payload = {
            "kind": "lite",
            "sub": session_id,
            "session_id": session_id,
            "iat": int(now),
            "exp": int(now + ttl),
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str, kind: str, now: float) -> dict[str, Any]:
        try:
            payload: dict[str, Any] = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], options={"verify_exp": False}
            )
        except jwt.PyJWTError as exc:
            raise TokenError(f"invalid token: {exc}") from None
        if payload.get("kind") != kind:
            raise TokenError("wrong kind of token")
        if float(payload.get("exp", 0)) < now:
            raise TokenError("token expired")
        return payload
