"""The LiveAvatar REST client the farm uses with its API key: contexts, session tokens (FULL mode), stop,
keep-alive, the list of active sessions (for the reaper) and the account's avatars and voices. The key never
leaves this module's requests.

A success is judged by the HTTP status and the data, as LiveAvatar documents it: a 2xx whose envelope `code` is
100 (the OpenAPI's default) or 1000 (what the session endpoints answer, and what the web SDK insists on), or has
no code at all. A 2xx carrying another code is a refusal by that code; a success without the data a call needs
(a token without its session id) is an error that says so.

A final refusal (a 4xx other than 429) raises LiveAvatarRefusal (farm/vendors/liveavatar_refusals.py) with words for the
professor; it is never retried. A 429 is retried after its Retry-After (farm/vendors/vendor_http.py), and every call is
paced per key and endpoint (farm/vendors/request_pacing.py) so that many rooms opening at once stay under LiveAvatar's
per-second limit.

The token request names the professor's voice and the room's context in `avatar_persona` (today's shape), or,
with a voice agent id set, in `voice_agent` (LiveAvatar's newer shape; `avatar_persona` is deprecated there)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from farm.tls_context import shared_tls_context
from farm.vendors.liveavatar_refusals import LiveAvatarRefusal, Subject, in_words, is_final, refusal
from farm.vendors.request_pacing import endpoint_of, pacer_for
from farm.vendors.vendor_http import LONGEST_RETRY_AFTER, TIMEOUT, VendorError, retry_after, send, with_retries

if TYPE_CHECKING:
    from farm.settings import Settings

__all__ = ["LiveAvatarClient", "LiveAvatarRefusal", "Subject", "in_words"]

VENDOR = "LiveAvatar"
SUCCESS = 1000
# 100 is the OpenAPI's documented success code, 1000 what the session endpoints answer.
SUCCESS_CODES = frozenset({100, SUCCESS})
# LiveAvatar's price of a FULL-mode session (LITE costs 1): what the money figures compare against.
FULL_CREDITS_PER_MINUTE = 2.0
# LiveAvatar's stop reasons after which a new session cannot help (restarting would fail or bill for nothing).
FINAL_STOP_REASONS = frozenset({"NO_CREDITS", "MAX_DURATION_REACHED", "AVATAR_DELETED"})
STOP_REASONS = frozenset(
    {
        "UNKNOWN",
        "USER_DISCONNECTED",
        "SERVER_ERROR",
        "IDLE_TIMEOUT",
        "NO_CREDITS",
        "USER_CLOSED",
        "AVATAR_DELETED",
        "MAX_DURATION_REACHED",
        "ZOMBIE_SESSION_REAP",
        "AGENT_HANG_UP",
    }
)


@dataclass(frozen=True)
class SessionToken:
    session_id: str
    token: str


@dataclass(frozen=True)
class VendorSession:
    id: str
    status: str | None
    end_reason: str | None
    credits_consumed: float
    duration: float


@dataclass(frozen=True)
class CatalogAvatar:
    """One avatar the account may use (AvatarSchema), from GET /v1/avatars or /v1/avatars/public."""

    id: str
    name: str
    status: str  # ACTIVE | INIT | DEPLOYING | FAILED
    preview_url: str | None
    default_voice_id: str | None
    default_voice_name: str | None
    public: bool


@dataclass(frozen=True)
class CatalogVoice:
    id: str
    name: str
    language: str | None
    gender: str | None


@dataclass(frozen=True)
class VendorTranscriptLine:
    role: str  # user | avatar
    text: str
    time: float  # UNIX seconds


@dataclass(frozen=True)
class VendorTranscript:
    session_active: bool
    lines: list[VendorTranscriptLine]
    next_timestamp: int | None


class LiveAvatarClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        attempts: int = 4,
        max_wait: float = 8.0,
        timeout: httpx.Timeout = TIMEOUT,
        calls_per_second: int | None = None,
        voice_agent_id: str | None = None,
        longest_retry_after: float = LONGEST_RETRY_AFTER,
    ) -> None:
        self._client = httpx.AsyncClient(
            verify=shared_tls_context(), base_url=base_url, headers={"X-API-KEY": api_key}, timeout=timeout
        )
        self._base_url = base_url
        self._api_key = api_key
        self._attempts = attempts
        self._max_wait = max_wait
        self._calls_per_second = calls_per_second
        self._voice_agent_id = voice_agent_id
        self._longest_retry_after = longest_retry_after

    @classmethod
    def for_settings(cls, settings: Settings, **options: Any) -> LiveAvatarClient:
        """The client of the configured LiveAvatar: its key, its pacing and its token shape."""
        api_key = settings.liveavatar_api_key.get_secret_value() if settings.liveavatar_api_key else ""
        voice_agent = settings.liveavatar_voice_agent_id if settings.liveavatar_token_shape == "voice_agent" else None
        return cls(
            settings.liveavatar_api_base or "",
            api_key,
            calls_per_second=settings.liveavatar_calls_per_second,
            voice_agent_id=voice_agent,
            **options,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self._calls_per_second is not None:
            pacer = pacer_for(self._base_url, self._api_key, endpoint_of(method, path), self._calls_per_second)
            await pacer.wait_turn()
        return await send(self._client, VENDOR, method, path, **kwargs)

    async def _call(
        self, method: str, path: str, *, subject: Subject | None = None, attempts: int | None = None, **kwargs: Any
    ) -> Any:
        async def once() -> Any:
            response = await self._send(method, path, **kwargs)
            return self._data(method, path, response, subject)

        return await with_retries(
            once,
            attempts=attempts or self._attempts,
            max_wait=self._max_wait,
            longest_retry_after=self._longest_retry_after,
        )

    @staticmethod
    def _data(method: str, path: str, response: httpx.Response, subject: Subject | None = None) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
        status = response.status_code
        code = body.get("code") if isinstance(body, dict) else None
        if 200 <= status < 300 and isinstance(body, dict) and (code is None or code in SUCCESS_CODES):
            return body.get("data")
        message = ""
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("detail") or "")
        message = message or response.text[:200] or response.reason_phrase
        said = f"{method} {path} answered {status}" + (f" with code {code}" if code is not None else "")
        if is_final(status) or (200 <= status < 300 and code is not None):
            # A 2xx with a code other than success is LiveAvatar refusing in its envelope: final as a 4xx is.
            raise refusal(status, code, body, f"{said}: {message}", subject)
        waited = retry_after(response) if status == 429 else None
        raise VendorError(VENDOR, f"{said}: {message}", status=status, code=code, retry_after=waited)

    async def create_context(self, *, name: str, prompt: str, opening_text: str) -> str:
        data = await self._call(
            "POST", "/v1/contexts", json={"name": name, "prompt": prompt, "opening_text": opening_text}
        )
        return str(data["id"])

    async def update_context(self, context_id: str, *, prompt: str, opening_text: str | None = None) -> None:
        body: dict[str, Any] = {"prompt": prompt}
        if opening_text is not None:
            body["opening_text"] = opening_text
        await self._call("PATCH", f"/v1/contexts/{context_id}", json=body, subject=Subject(context_id=context_id))

    async def delete_context(self, context_id: str) -> None:
        await self._call("DELETE", f"/v1/contexts/{context_id}")

    async def session_token(
        self,
        *,
        avatar_id: str,
        context_id: str | None,
        voice_id: str | None = None,
        quality: str = "medium",
        max_session_duration: int | None = None,
        is_sandbox: bool = False,
    ) -> SessionToken:
        persona: dict[str, Any] = {"language": "en"}
        if context_id:
            persona["context_id"] = context_id
        if voice_id:
            persona["voice_id"] = voice_id
        # The voice agent's own voice and context are overridden per room, as the persona sets them today.
        shape = "avatar_persona" if self._voice_agent_id is None else "voice_agent"
        if self._voice_agent_id is not None:
            persona["id"] = self._voice_agent_id
        body: dict[str, Any] = {
            "mode": "FULL",
            "avatar_id": avatar_id,
            shape: persona,
            "is_sandbox": is_sandbox,
            "video_settings": {"quality": quality, "encoding": "VP8"},
            "interactivity_type": "CONVERSATIONAL",
        }
        if max_session_duration:
            body["max_session_duration"] = max_session_duration
        # Each token starts a billed session: retried only when the request never reached LiveAvatar.
        subject = Subject(avatar_id=avatar_id, voice_id=voice_id, context_id=context_id)

        async def once() -> Any:
            response = await self._send("POST", "/v1/sessions/token", json=body)
            return self._data("POST", "/v1/sessions/token", response, subject)

        data = await with_retries(
            once,
            attempts=self._attempts,
            max_wait=self._max_wait,
            creates=True,
            longest_retry_after=self._longest_retry_after,
        )
        if not isinstance(data, dict) or not data.get("session_id") or not data.get("session_token"):
            # Not retried: LiveAvatar may have created (and may bill) a session we cannot name.
            raise VendorError(
                VENDOR, "POST /v1/sessions/token answered success without a session id and token", status=200
            )
        return SessionToken(session_id=str(data["session_id"]), token=str(data["session_token"]))

    async def stop_session(self, session_id: str, reason: str = "USER_CLOSED") -> None:
        if reason not in STOP_REASONS:
            raise ValueError(f"unknown LiveAvatar stop reason {reason!r}")
        await self._call("POST", "/v1/sessions/stop", json={"session_id": session_id, "reason": reason})

    async def keep_alive(self, session_id: str) -> None:
        """Reset the session's idle timer (with the API key: the SDK's own keepAlive never reports a failure)."""
        await self._call("POST", "/v1/sessions/keep-alive", json={"session_id": session_id})

    async def session(self, session_id: str) -> VendorSession:
        return _vendor_session(await self._call("GET", f"/v1/sessions/{session_id}"))

    async def transcript(self, session_id: str, *, start_timestamp: int | None = None) -> VendorTranscript:
        """One page of the session's transcript (GET /v1/sessions/{id}/transcript), from `start_timestamp` on."""
        params = {} if start_timestamp is None else {"start_timestamp": start_timestamp}
        data = await self._call("GET", f"/v1/sessions/{session_id}/transcript", params=params)
        lines = []
        for item in data.get("transcript_data") or []:
            stamp = float(item.get("absolute_timestamp") or 0)
            lines.append(
                VendorTranscriptLine(
                    role=str(item.get("role")),
                    text=str(item.get("transcript") or ""),
                    time=stamp / 1000.0 if stamp > 1e11 else stamp,  # tolerate milliseconds
                )
            )
        following = data.get("next_timestamp")
        return VendorTranscript(bool(data.get("session_active")), lines, int(following) if following else None)

    async def avatars(self, *, attempts: int | None = None) -> list[CatalogAvatar]:
        """The account's own avatars, then the public ones (GET /v1/avatars, /v1/avatars/public), every page."""
        own = await self._pages("/v1/avatars", attempts)
        public = await self._pages("/v1/avatars/public", attempts)
        seen: set[str] = set()
        avatars: list[CatalogAvatar] = []
        for item, is_public in [(item, False) for item in own] + [(item, True) for item in public]:
            avatar = _catalog_avatar(item, is_public)
            if avatar is not None and avatar.id.lower() not in seen:
                seen.add(avatar.id.lower())
                avatars.append(avatar)
        return avatars

    async def voices(self, *, attempts: int | None = None) -> list[CatalogVoice]:
        """The voices the account may give an avatar (GET /v1/voices, every page)."""
        voices: list[CatalogVoice] = []
        for item in await self._pages("/v1/voices", attempts):
            if isinstance(item, dict) and item.get("id"):
                voices.append(
                    CatalogVoice(
                        id=str(item["id"]),
                        name=str(item.get("name") or item["id"]),
                        language=_text(item.get("language")),
                        gender=_text(item.get("gender")),
                    )
                )
        return voices

    async def voice_agent(self, agent_id: str) -> dict[str, Any]:
        """One stored voice agent (GET /v1/voice_agents/{id}): its name, type and configuration."""
        data = await self._call("GET", f"/v1/voice_agents/{agent_id}")
        return data if isinstance(data, dict) else {}

    async def _pages(self, path: str, attempts: int | None, limit: int = 20) -> list[Any]:
        items: list[Any] = []
        for page in range(1, limit + 1):
            data = await self._call("GET", path, params={"page": page, "page_size": 100}, attempts=attempts)
            if isinstance(data, list):  # an unpaginated answer
                return items + data
            items.extend(_results(data, path))
            if not data.get("next"):
                break
        return items

    async def active_sessions(self) -> list[VendorSession]:
        sessions: list[VendorSession] = []
        page = 1
        while True:
            data = await self._call("GET", "/v1/sessions", params={"type": "active", "page": page, "page_size": 100})
            sessions.extend(_vendor_session(item) for item in _results(data, "/v1/sessions"))
            if not data.get("next"):
                return sessions
            page += 1


def _results(data: Any, path: str) -> list[Any]:
    """A page's items. A success without them (no `data`, or `data` without `results`) is not an empty list:
    it says nothing of what the account has, so it is an error, as a refusal would be."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise VendorError(VENDOR, f"GET {path} answered without the list asked for")
    return data["results"]


def _vendor_session(item: dict[str, Any]) -> VendorSession:
    return VendorSession(
        id=str(item["id"]),
        status=item.get("status"),
        end_reason=item.get("end_reason"),
        credits_consumed=float(item.get("credits_consumed") or 0),
        duration=float(item.get("duration") or 0),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _catalog_avatar(item: Any, public: bool) -> CatalogAvatar | None:
    if not isinstance(item, dict) or not item.get("id"):
        return None
    found = item.get("default_voice")
    voice: dict[str, Any] = found if isinstance(found, dict) else {}
    return CatalogAvatar(
        id=str(item["id"]),
        name=str(item.get("name") or item["id"]),
        status=str(item.get("status") or "ACTIVE"),
        preview_url=_text(item.get("preview_url")),
        default_voice_id=_text(voice.get("id")),
        default_voice_name=_text(voice.get("name")),
        public=public,
    )
