"""Opaque credentials the service issues: OAuth codes and tokens, OBF tokens and ZAKs, with expiry."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from enum import StrEnum

from fakes.zoom.config import SimUser


class Kind(StrEnum):
    AUTH_CODE = "code"
    ACCESS = "access"
    REFRESH = "refresh"
    OBF = "obf"
    ZAK = "zak"


_PREFIX = {
    Kind.AUTH_CODE: "simcode_",
    Kind.ACCESS: "simat_",
    Kind.REFRESH: "simrt_",
    Kind.OBF: "simobf_",
    Kind.ZAK: "simzak_",
}


@dataclass
class Credential:
    kind: Kind
    value: str
    user_id: str
    expires_at: float
    client_id: str = ""
    redirect_uri: str = ""
    # For OBF tokens: the meeting the token is bound to (at minting, or by its first use).
    meeting_number: str | None = None
    # For authorization codes: the PKCE challenge of the authorize request (RFC 7636), if it had one.
    code_challenge: str = ""
    code_challenge_method: str = ""
    issued_at: float = field(default_factory=time.time)

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires_at


class CredentialStore:
    """Every credential by value; a credential is valid until it expires or is revoked."""

    def __init__(self) -> None:
        self._by_value: dict[str, Credential] = {}

    def issue(
        self,
        kind: Kind,
        user_id: str,
        ttl_s: float,
        *,
        client_id: str = "",
        redirect_uri: str = "",
        meeting_number: str | None = None,
        code_challenge: str = "",
        code_challenge_method: str = "",
    ) -> Credential:
        value = _PREFIX[kind] + secrets.token_urlsafe(24)
        credential = Credential(
            kind=kind,
            value=value,
            user_id=user_id,
            expires_at=time.time() + ttl_s,
            client_id=client_id,
            redirect_uri=redirect_uri,
            meeting_number=meeting_number,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
        )
        self._by_value[value] = credential
        return credential

    def find(self, kind: Kind, value: str | None) -> Credential | None:
        """The credential, even when expired (callers tell "expired" from "invalid"); None when unknown."""
        if not value:
            return None
        credential = self._by_value.get(value)
        return credential if credential is not None and credential.kind is kind else None

    def valid(self, kind: Kind, value: str | None) -> Credential | None:
        credential = self.find(kind, value)
        return credential if credential is not None and not credential.expired else None

    def revoke(self, value: str) -> None:
        self._by_value.pop(value, None)


class UserDirectory:
    """The Zoom users the service knows, found by id or email (case-insensitive)."""

    def __init__(self, users: tuple[SimUser, ...]) -> None:
        self._users: list[SimUser] = list(users)

    def all(self) -> list[SimUser]:
        return list(self._users)

    def find(self, id_or_email: str | None) -> SimUser | None:
        if not id_or_email:
            return None
        lowered = id_or_email.strip().lower()
        return next((u for u in self._users if u.user_id.lower() == lowered or u.email.lower() == lowered), None)

    def add(self, user: SimUser) -> SimUser:
        if self.find(user.user_id) or self.find(user.email):
            raise ValueError(f"user {user.email} exists already")
        self._users.append(user)
        return user
