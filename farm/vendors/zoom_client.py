"""The Zoom REST/OAuth client: the professor's OAuth grant (authorization code with PKCE, rotating refresh
tokens), OBF tokens for joining meetings of other accounts on the professor's behalf, and meeting creation with
breakout rooms. Each professor connects their own Zoom: every call names the professor whose grant it uses (the
session's owner). Tokens live in the state store (encrypted) and never leave the server.

Calls that create something (the code and refresh grants, a meeting) are retried only when Zoom surely did not
act on them (farm/vendors/vendor_http.py): a code is single-use and a refresh token rotates, so a blind retry after a
lost answer would fail or lose the grant. The refresh is single-flight per professor: concurrent callers that
find the same access token expired share one refresh.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import string
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from farm.settings import Settings
from farm.tls_context import shared_tls_context
from farm.vendors.vendor_http import TIMEOUT, VendorError, send, with_retries
from state.zoom_grants_repository import ZoomGrantsRepository

VENDOR = "Zoom"
REFRESH_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class CreatedMeeting:
    number: str
    passcode: str | None
    join_url: str | None


@dataclass(frozen=True)
class ZoomAuthorization:
    """What the code grant gave: whose account, and its tokens (to store, or to park until confirmed)."""

    user_id: str
    email: str | None
    refresh_token: str
    access_token: str
    access_expires_at: float

    @property
    def who(self) -> str:
        return self.email or self.user_id


@dataclass(frozen=True)
class Pkce:
    """A PKCE pair (RFC 7636, S256): the verifier stays on the server, the challenge goes in the authorize URL."""

    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-], within RFC 7636's 43..128
        return cls(verifier, s256(verifier))


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


# Zoom's presence status of a user who is in a meeting.
PRESENCE_IN_MEETING = "In_A_Zoom_Meeting"


class ZoomNotAuthorized(Exception):
    """The professor has not connected their Zoom to avatarfarm (needed for OBF tokens and creating meetings)."""


NOT_CONNECTED_WORDS = (
    "You have not connected your Zoom account to avatarfarm yet: open the dashboard's Zoom page, sign in to Zoom "
    "there and approve avatarfarm once."
)
REFUSED_WORDS = (
    "Zoom no longer accepts your connection to avatarfarm (it may have been removed in your Zoom account): "
    "connect Zoom again on the dashboard's Zoom page."
)


# Zoom takes passcodes of up to 10 characters; letters and digits pass its default passcode rules.
PASSCODE_LENGTH = 10
_PASSCODE_ALPHABET = string.ascii_letters + string.digits


def new_meeting_passcode() -> str:
    """A random meeting passcode with at least one letter and one digit (about 59 bits)."""
    while True:
        passcode = "".join(secrets.choice(_PASSCODE_ALPHABET) for _ in range(PASSCODE_LENGTH))
        if any(c.isdigit() for c in passcode) and any(c.isalpha() for c in passcode):
            return passcode


# Where Zoom sends the professor back with an authorization code (api/zoom_routes.py serves it).
CALLBACK_PATH = "/api/zoom/callback"


class ZoomClient:
    def __init__(
        self,
        grants: ZoomGrantsRepository,
        *,
        api_base: str,
        oauth_base: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._grants = grants
        self._oauth_base = oauth_base
        self._client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self._api = httpx.AsyncClient(
            verify=shared_tls_context(), base_url=api_base, timeout=TIMEOUT, transport=transport
        )
        self._oauth = httpx.AsyncClient(
            verify=shared_tls_context(),
            base_url=oauth_base,
            timeout=TIMEOUT,
            auth=(client_id, client_secret),
            transport=transport,
        )
        self._refresh_locks: dict[str, asyncio.Lock] = {}

    @classmethod
    def for_settings(cls, grants: ZoomGrantsRepository, settings: Settings) -> ZoomClient | None:
        """The server's one Zoom client (its refresh tokens rotate: a second client refreshing on its own would
        spend the grant's token under the first); None without Zoom OAuth credentials."""
        if not settings.zoom_oauth_client_id or settings.zoom_oauth_client_secret is None:
            return None
        return cls(
            grants,
            api_base=settings.zoom_api_base or "",
            oauth_base=settings.zoom_oauth_base or settings.zoom_api_base or "",
            client_id=settings.zoom_oauth_client_id,
            client_secret=settings.zoom_oauth_client_secret.get_secret_value(),
            redirect_uri=f"{settings.base_url}{CALLBACK_PATH}",
        )

    async def aclose(self) -> None:
        await self._api.aclose()
        await self._oauth.aclose()

    def authorize_url(self, state: str, code_challenge: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": self.redirect_uri,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self._oauth_base}/oauth/authorize?{query}"

    async def _json(self, response: httpx.Response, what: str) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            message = body.get("reason") or body.get("message") if isinstance(body, dict) else None
            raise VendorError(
                VENDOR,
                f"{what} answered {response.status_code}: {message or response.text[:200]}",
                status=response.status_code,
                code=body.get("code") if isinstance(body, dict) else None,
            )
        return body

    async def _token(self, form: dict[str, str]) -> dict[str, Any]:
        async def once() -> Any:
            response = await send(self._oauth, VENDOR, "POST", "/oauth/token", data=form)
            return await self._json(response, "the OAuth token endpoint")

        tokens: dict[str, Any] = await with_retries(once, creates=True)
        return tokens

    async def exchange_code(self, code: str, code_verifier: str) -> ZoomAuthorization:
        """Exchange an authorization code (with its PKCE verifier) for tokens, and find whose account it is.
        Nothing is stored: the caller decides whether the grant replaces the current one."""
        tokens = await self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": code_verifier,
            }
        )
        access = str(tokens["access_token"])
        me = await self._get("/v2/users/me", access)
        return ZoomAuthorization(
            user_id=str(me["id"]),
            email=me.get("email"),
            refresh_token=str(tokens["refresh_token"]),
            access_token=access,
            access_expires_at=time.time() + float(tokens.get("expires_in", 3600)),
        )

    async def _fresh_grant_token(self, professor_id: str) -> str | None:
        grant = await self._grants.get(professor_id)
        if grant is None:
            raise ZoomNotAuthorized(NOT_CONNECTED_WORDS)
        if grant.access_token and (grant.access_expires_at or 0) > time.time() + REFRESH_MARGIN_SECONDS:
            return grant.access_token
        return None

    async def _access_token(self, professor_id: str) -> str:
        fresh = await self._fresh_grant_token(professor_id)
        if fresh is not None:
            return fresh
        async with self._refresh_locks.setdefault(professor_id, asyncio.Lock()):
            # Whoever held the lock before us may have refreshed already: then its token is ours too.
            fresh = await self._fresh_grant_token(professor_id)
            if fresh is not None:
                return fresh
            grant = await self._grants.get(professor_id)
            if grant is None:  # disconnected while we waited
                raise ZoomNotAuthorized(NOT_CONNECTED_WORDS)
            try:
                tokens = await self._token({"grant_type": "refresh_token", "refresh_token": grant.refresh_token})
            except VendorError as exc:
                if exc.status in (400, 401):  # the grant was revoked or has expired: only reconnecting helps
                    raise ZoomNotAuthorized(REFUSED_WORDS) from exc
                raise
            access = str(tokens["access_token"])
            await self._grants.save(
                professor_id=professor_id,
                user_id=grant.user_id,
                email=grant.email,
                refresh_token=str(tokens.get("refresh_token") or grant.refresh_token),  # refresh tokens rotate
                access_token=access,
                access_expires_at=time.time() + float(tokens.get("expires_in", 3600)),
            )
            return access

    async def _get(self, path: str, access: str, **params: Any) -> Any:
        async def once() -> Any:
            response = await send(
                self._api, VENDOR, "GET", path, params=params, headers={"Authorization": f"Bearer {access}"}
            )
            return await self._json(response, f"GET {path}")

        return await with_retries(once)

    async def obf_token(self, meeting_number: str, professor_id: str) -> str:
        """A fresh on-behalf-of token of the professor, bound to this meeting (single use)."""
        access = await self._access_token(professor_id)
        body = await self._get("/v2/users/me/token", access, type="onbehalf", meeting_id=meeting_number)
        return str(body["token"])

    async def professor_in_a_meeting(self, professor_id: str) -> bool:
        """Whether the professor is in a Zoom meeting now (their presence status; the app needs the
        user:read:presence_status scope). It cannot tell which meeting: see RoomRunner._wait_for_professor."""
        access = await self._access_token(professor_id)
        body = await self._get("/v2/users/me/presence_status", access)
        return str(body.get("status")) == PRESENCE_IN_MEETING

    async def create_meeting(
        self, professor_id: str, *, topic: str, rooms: list[str], passcode: str | None = None
    ) -> CreatedMeeting:
        """Create a meeting of the professor's Zoom account, with `passcode`, else a new random one."""
        access = await self._access_token(professor_id)
        payload: dict[str, Any] = {
            "topic": topic,
            "type": 2,
            "settings": {
                "join_before_host": True,
                "waiting_room": False,
                "breakout_room": {"enable": True, "rooms": [{"name": name, "participants": []} for name in rooms]},
            },
        }
        # A meeting we create is never open to whoever guesses its number: it gets a passcode.
        payload["password"] = passcode or new_meeting_passcode()

        async def once() -> Any:
            response = await send(
                self._api,
                VENDOR,
                "POST",
                "/v2/users/me/meetings",
                json=payload,
                headers={"Authorization": f"Bearer {access}"},
            )
            return await self._json(response, "POST /v2/users/me/meetings")

        body = await with_retries(once, creates=True)
        return CreatedMeeting(
            number=str(body["id"]), passcode=body.get("password") or None, join_url=body.get("join_url")
        )
