"""LiveAvatar's refusals in words: the one place that maps its 4xx answers (HTTP status, business code, FastAPI
validation detail) to a sentence a professor can act on, and a stable reason code.

A 4xx other than 429 is final: asking again with the same request cannot change the answer, so callers do not
retry it. The vendor's own body is never part of the words (it can be a raw validation dump); it stays in
`VendorError.message` for the server log only.

Business codes as LiveAvatar answers them (docs.liveavatar.com; the fake in fakes/liveavatar follows the same
list): 4000 invalid request, 4004 session not found, 4009 already started, 4010 already ended, 4011 token expired,
4020 insufficient credits, 4029 concurrency limit, 4041 avatar not found, 4042 avatar not ready, 4043 avatar not
allowed in sandbox, 4044 voice not found, 4045 context not found, 4046 missing dynamic variables, 4047 voice
agent not found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from farm.vendors.vendor_http import VendorError

VENDOR = "LiveAvatar"


@dataclass(frozen=True)
class Subject:
    """What the refused request was about, so the words can name it."""

    avatar_id: str | None = None
    voice_id: str | None = None
    context_id: str | None = None
    session_id: str | None = None


class LiveAvatarRefusal(VendorError):
    """LiveAvatar answered with a final 4xx. `words` is for the professor, `kind` a stable code, `field` the
    request field it blames (avatar_id, voice_id, …) when it names one."""

    def __init__(
        self, message: str, *, status: int, code: Any, kind: str, words: str, field: str | None = None
    ) -> None:
        super().__init__(VENDOR, message, status=status, code=code)
        self.kind = kind
        self.words = words
        self.field = field

    @property
    def retryable(self) -> bool:
        return False


def is_final(status: int) -> bool:
    """A 4xx other than 429 (too many requests, concurrency limit) is final."""
    return 400 <= status < 500 and status != 429


def _short(value: str | None) -> str:
    if not value:
        return "given"
    return value if len(value) <= 12 else f"{value[:8]}…"


def _blamed_field(body: Any) -> str | None:
    """The last named field of the first FastAPI validation error ({detail: [{loc: [...]}]}), if any."""
    if not isinstance(body, dict) or not isinstance(body.get("detail"), list):
        return None
    for error in body["detail"]:
        loc = error.get("loc") if isinstance(error, dict) else None
        if isinstance(loc, list):
            names = [str(part) for part in loc if isinstance(part, str) and part != "body"]
            if names:
                return names[-1]
    return None


Words = tuple[str, str, str | None]  # kind, words, field


def _avatar_unknown(subject: Subject) -> Words:
    return (
        "avatar_not_found",
        f"LiveAvatar does not know the avatar {_short(subject.avatar_id)}; pick one of your account's avatars.",
        "avatar_id",
    )


def _voice_unknown(subject: Subject) -> Words:
    return (
        "voice_not_found",
        f"LiveAvatar does not know the voice {_short(subject.voice_id)}; pick one of your account's voices "
        "(or leave the voice empty to use the avatar's own).",
        "voice_id",
    )


_BY_CODE: dict[int, Callable[[Subject], Words]] = {
    4041: _avatar_unknown,
    4042: lambda s: (
        "avatar_not_ready",
        f"The avatar {_short(s.avatar_id)} is not ready at LiveAvatar yet (it is still being prepared); "
        "pick another avatar or start again once it is ready.",
        "avatar_id",
    ),
    4043: lambda s: (
        "avatar_not_in_sandbox",
        f"The avatar {_short(s.avatar_id)} cannot be used in LiveAvatar's sandbox mode; pick a sandbox avatar.",
        "avatar_id",
    ),
    4044: _voice_unknown,
    4045: lambda s: (
        "context_not_found",
        "LiveAvatar no longer has this room's instructions (its context was deleted at LiveAvatar).",
        "context_id",
    ),
    4046: lambda s: (
        "context_variables_missing",
        "The room's instructions contain placeholders that LiveAvatar could not fill.",
        "context_id",
    ),
    4020: lambda s: (
        "no_credits",
        "The LiveAvatar account has no credits left; top it up at app.liveavatar.com, then start again.",
        None,
    ),
    4011: lambda s: ("token_expired", "The avatar's session token expired before the avatar started.", None),
    4004: lambda s: ("session_not_found", "LiveAvatar does not know this avatar session any more.", None),
    4009: lambda s: ("session_already_started", "This avatar session was already started.", None),
    4010: lambda s: ("session_ended", "This avatar session has already ended at LiveAvatar.", None),
    4047: lambda s: (
        "voice_agent_not_found",
        "LiveAvatar does not know the voice agent set in AVATARFARM_LIVEAVATAR_VOICE_AGENT_ID; copy its id from "
        "app.liveavatar.com/voice-agent, or set AVATARFARM_LIVEAVATAR_TOKEN_SHAPE=avatar_persona.",
        None,
    ),
    4000: lambda s: ("invalid_request", "LiveAvatar refused the request as invalid.", None),
}

_BY_FIELD: dict[str, Callable[[Subject], Words]] = {"avatar_id": _avatar_unknown, "voice_id": _voice_unknown}


def refusal(status: int, code: Any, body: Any, message: str, subject: Subject | None = None) -> LiveAvatarRefusal:
    """The typed error for a final 4xx answer, with words chosen from its business code, its validation detail
    or its HTTP status, in that order."""
    subject = subject or Subject()
    kind: str
    words: str
    field: str | None
    if isinstance(code, int) and code in _BY_CODE:
        kind, words, field = _BY_CODE[code](subject)
    elif status == 422 and (blamed := _blamed_field(body)) is not None:
        if blamed in _BY_FIELD:
            kind, words, field = _BY_FIELD[blamed](subject)
        else:
            kind, words, field = (
                "invalid_request",
                f"LiveAvatar refused avatarfarm's request (it did not accept the field '{blamed}'); "
                "the server log has the details.",
                blamed,
            )
    elif status == 401:
        kind, words, field = (
            "api_key_refused",
            "LiveAvatar refused avatarfarm's API key; check AVATARFARM_LIVEAVATAR_API_KEY "
            "(app.liveavatar.com, Developers).",
            None,
        )
    elif status == 403:
        kind, words, field = ("forbidden", "LiveAvatar does not allow avatarfarm's key to do this.", None)
    elif status == 402:
        kind, words, field = _BY_CODE[4020](subject)
    elif status == 404 and subject.avatar_id and not subject.session_id:
        kind, words, field = _avatar_unknown(subject)
    else:
        kind, words, field = (
            "refused",
            f"LiveAvatar refused the request (HTTP {status}); the server log has the details.",
            None,
        )
    return LiveAvatarRefusal(message, status=status, code=code, kind=kind, words=words, field=field)


def in_words(error: VendorError) -> str:
    """Any failed LiveAvatar call in words, without the vendor's body: a refusal's words, else what happened."""
    if isinstance(error, LiveAvatarRefusal):
        return error.words
    if error.status == 0:
        return "LiveAvatar did not answer."
    if error.status == 429:
        wait = f" (it asked to wait {error.retry_after:.0f} s)" if error.retry_after is not None else ""
        return f"LiveAvatar is limiting how fast avatarfarm may call it{wait}; try again in a moment."
    if 200 <= error.status < 300:
        return "LiveAvatar answered without what avatarfarm asked for; the server log has its answer."
    return f"LiveAvatar answered HTTP {error.status}."
