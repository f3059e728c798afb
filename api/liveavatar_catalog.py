"""The LiveAvatar account's avatars and voices as the API sees them: fetched with the API key, kept for a few
minutes, used to check `professor.avatar_id` / `voice_id` when a session is started and to fill the dashboard's
pickers (with preview images proxied from this server, so the page's CSP holds and no vendor URL reaches it).

When LiveAvatar cannot be reached, the last lists fetched are used; with none, the check is skipped (a vendor
blip must not stop a class from starting: a wrong id then fails its rooms at once, in words, when their avatars
start). A refused API key is not an outage: it is reported, since no avatar could start with it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from farm.tls_context import shared_tls_context
from farm.vendors.liveavatar_client import CatalogAvatar as CatalogAvatar
from farm.vendors.liveavatar_client import CatalogVoice as CatalogVoice
from farm.vendors.liveavatar_client import LiveAvatarClient, LiveAvatarRefusal
from farm.vendors.vendor_http import VendorError

log = logging.getLogger("avatarfarm.api")

# How long fetched lists are trusted.
LIST_SECONDS = 300.0
# An id missing from lists older than this makes one fresh fetch (it may have been created just now).
RECHECK_AFTER_SECONDS = 30.0
# After a failed fetch, LiveAvatar is asked again only after this long (a burst of starts is not held up).
OUTAGE_SECONDS = 15.0
# The check at session start waits at most this long for LiveAvatar.
FETCH_TIMEOUT = httpx.Timeout(4.0, connect=2.0)
PREVIEW_MAX_BYTES = 2 * 1024 * 1024
PREVIEWS_KEPT = 64

T = TypeVar("T")


class CatalogUnavailable(Exception):
    """LiveAvatar could not be asked (no answer, 5xx, 429) and no earlier list is known."""


class CatalogRefused(Exception):
    """LiveAvatar refused avatarfarm's key; `words` says so for the professor."""

    def __init__(self, words: str) -> None:
        super().__init__(words)
        self.words = words


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


@dataclass(frozen=True)
class Preview:
    content: bytes
    media_type: str


class _CachedList(Generic[T]):
    """One vendor list, fetched at most once at a time, trusted for LIST_SECONDS, kept for outages."""

    def __init__(self, fetch: Callable[[], Awaitable[list[T]]], clock: Callable[[], float]) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = asyncio.Lock()
        self.items: list[T] | None = None
        self.fetched_at = 0.0
        self._failed_at: float | None = None

    async def get(self, max_age: float | None = None) -> list[T]:
        max_age = LIST_SECONDS if max_age is None else max_age
        async with self._lock:
            now = self._clock()
            if self.items is not None and now - self.fetched_at < max_age:
                return self.items
            if self._failed_at is not None and now - self._failed_at < OUTAGE_SECONDS:
                return self._stale()
            try:
                items = await self._fetch()
            except LiveAvatarRefusal as exc:
                self._failed_at = now
                raise CatalogRefused(exc.words) from None
            except VendorError as exc:
                self._failed_at = now
                log.warning("LiveAvatar's lists could not be fetched: %s", exc)
                return self._stale()
            self.items, self.fetched_at, self._failed_at = items, now, None
            return items

    def _stale(self) -> list[T]:
        if self.items is None:
            raise CatalogUnavailable
        return self.items


class LiveAvatarCatalog:
    def __init__(self, client: LiveAvatarClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._avatars: _CachedList[CatalogAvatar] = _CachedList(lambda: client.avatars(attempts=1), clock)
        self._voices: _CachedList[CatalogVoice] = _CachedList(lambda: client.voices(attempts=1), clock)
        # Preview images are public pictures: fetched without the API key.
        self._images = httpx.AsyncClient(
            verify=shared_tls_context(), timeout=FETCH_TIMEOUT, follow_redirects=True, max_redirects=3
        )
        self._previews: dict[str, Preview] = {}

    @classmethod
    def for_settings(cls, base_url: str, api_key: str) -> LiveAvatarCatalog:
        return cls(LiveAvatarClient(base_url, api_key, attempts=1, timeout=FETCH_TIMEOUT))

    async def aclose(self) -> None:
        await self._client.aclose()
        await self._images.aclose()

    async def avatars(self) -> list[CatalogAvatar]:
        """Raises CatalogUnavailable or CatalogRefused."""
        return await self._avatars.get()

    async def voices(self) -> list[CatalogVoice]:
        return await self._voices.get()

    async def _find_avatar(self, avatar_id: str) -> CatalogAvatar | None:
        wanted = avatar_id.lower()
        for max_age in (None, RECHECK_AFTER_SECONDS):
            found = next((a for a in await self._avatars.get(max_age) if a.id.lower() == wanted), None)
            if found is not None:
                return found
        return None

    async def _find_voice(self, voice_id: str) -> CatalogVoice | None:
        wanted = voice_id.lower()
        for max_age in (None, RECHECK_AFTER_SECONDS):
            found = next((v for v in await self._voices.get(max_age) if v.id.lower() == wanted), None)
            if found is not None:
                return found
        return None

    async def problems(self, avatar_id: str, voice_id: str | None) -> list[Problem] | None:
        """What is wrong with a professor's avatar and voice, per field; None when LiveAvatar could not be asked
        (the check is skipped). Raises CatalogRefused when LiveAvatar refuses avatarfarm's key."""
        problems: list[Problem] = []
        try:
            avatar = await self._find_avatar(avatar_id)
            if avatar is None:
                problems.append(
                    Problem(
                        "professor.avatar_id",
                        f"LiveAvatar does not know the avatar '{avatar_id}'; pick one of your account's avatars "
                        "(GET /api/liveavatar/avatars lists them).",
                    )
                )
            elif avatar.status != "ACTIVE":
                problems.append(
                    Problem(
                        "professor.avatar_id",
                        f"The avatar '{avatar.name}' is not ready at LiveAvatar yet (its status is {avatar.status}); "
                        "pick another avatar or start again once it is ready.",
                    )
                )
            if voice_id is not None and await self._find_voice(voice_id) is None:
                problems.append(
                    Problem(
                        "professor.voice_id",
                        f"LiveAvatar does not know the voice '{voice_id}'; pick one of your account's voices "
                        "(GET /api/liveavatar/voices lists them), or leave it out to use the avatar's own voice.",
                    )
                )
        except CatalogUnavailable:
            return None
        return problems

    async def preview(self, avatar_id: str) -> Preview | None:
        """The avatar's preview image, fetched from the URL LiveAvatar gave (never a URL from a request); None
        when the avatar or its picture is unknown. Raises CatalogUnavailable / CatalogRefused."""
        avatar = next((a for a in await self._avatars.get() if a.id.lower() == avatar_id.lower()), None)
        if avatar is None or not avatar.preview_url or not avatar.preview_url.startswith(("https://", "http://")):
            return None
        kept = self._previews.get(avatar.preview_url)
        if kept is not None:
            return kept
        try:
            response = await self._images.get(avatar.preview_url)
        except httpx.HTTPError as exc:
            log.warning("preview of avatar %s could not be fetched: %s", avatar.id, type(exc).__name__)
            raise CatalogUnavailable from None
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if response.status_code != 200 or not media_type.startswith("image/"):
            log.warning("preview of avatar %s: HTTP %s, %s", avatar.id, response.status_code, media_type or "no type")
            return None
        if len(response.content) > PREVIEW_MAX_BYTES:
            return None
        preview = Preview(response.content, media_type)
        if len(self._previews) >= PREVIEWS_KEPT:
            self._previews.pop(next(iter(self._previews)))
        self._previews[avatar.preview_url] = preview
        return preview
