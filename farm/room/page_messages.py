"""The messages between a bot page and the farm, typed: what the page reports through the Playwright binding
(`window.avatarfarmReport`, see bot_page/js/reporter.js) and the commands the farm sends with `page.evaluate`
(`window.avatarfarm.*`, see bot_page/js/bot.js). A report that does not parse is recorded, never trusted; the
texts of a report that does are scrubbed of URL query strings, tickets and tokens
(farm/browsers/console_lines.py) before anything stores them, except what people said (transcripts, the host's
broadcasts), which is kept as said.
"""

from __future__ import annotations

import builtins
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from farm.browsers.console_lines import scrubbed, without_secrets
from state.vocabulary import BOT_STATES, AvatarRelease, AvatarWant, EventKind, RoomStatus

_TEXT_LIMIT = 4000
# Events whose texts are people's words: kept as said (their own models cap their length).
_SPOKEN = frozenset({EventKind.transcript, EventKind.meeting_broadcast, EventKind.meeting_chat})


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")


# ---- details of the events the farm acts on ---------------------------------------------------------------


class TranscriptDetail(_Message):
    role: Literal["student", "avatar"]
    text: str = Field(max_length=_TEXT_LIMIT)
    # The meeting name of the participant the SDK saw speaking (students only).
    speaker: str | None = Field(default=None, max_length=200)


class AvatarWanted(_Message):
    why: AvatarWant
    humans: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=300)
    room: str | None = None


class StudentsArrived(_Message):
    humans: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=300)


class AvatarReleased(_Message):
    why: AvatarRelease
    room: str | None = None


class Broadcast(_Message):
    message: str = Field(min_length=1, max_length=_TEXT_LIMIT)


class AvatarDropped(_Message):
    reason: str = "unknown"
    # The LiveAvatar session that dropped (a report about a session already replaced is only closed).
    session_id: str | None = None


class ChatDetail(_Message):
    """A message written in the Zoom chat of the bot's room by a person there, to everyone or to the bot."""

    message: str = Field(max_length=_TEXT_LIMIT)
    sender: str = Field(default="", max_length=200)
    sender_id: int
    to_bot: bool = False
    room: str | None = None


class BotIdentity(_Message):
    """The bot page's own Zoom identity (Component View's getCurrentUser())."""

    user_id: int
    participant_uuid: str | None = Field(default=None, max_length=100)
    # Zoom's own attribution (Participant.isBotUser): true for bots joined on a user's behalf.
    is_bot_user: bool = False


EventBody = (
    TranscriptDetail
    | AvatarWanted
    | StudentsArrived
    | AvatarReleased
    | Broadcast
    | AvatarDropped
    | ChatDetail
    | BotIdentity
)
# The events whose detail the farm acts on, with its model: read once, as the report arrives.
_BODIES: dict[EventKind, type[EventBody]] = {
    EventKind.transcript: TranscriptDetail,
    EventKind.avatar_wanted: AvatarWanted,
    EventKind.students_arrived: StudentsArrived,
    EventKind.avatar_released: AvatarReleased,
    EventKind.meeting_broadcast: Broadcast,
    EventKind.avatar_dropped: AvatarDropped,
    EventKind.meeting_chat: ChatDetail,
    EventKind.meeting_identity: BotIdentity,
}
_Body = TypeVar("_Body", bound=_Message)


# ---- reports ---------------------------------------------------------------------------------------------------


class StateReport(_Message):
    type: Literal["state"]
    state: RoomStatus
    reason: str | None = None
    reason_text: str | None = Field(default=None, max_length=_TEXT_LIMIT)
    detail: dict[str, Any] = Field(default_factory=dict)
    at: float | None = None

    @property
    def room(self) -> str | None:
        room = self.detail.get("room")
        return str(room) if room else None


class EventReport(_Message):
    type: Literal["event"]
    kind: EventKind
    detail: dict[str, Any] = Field(default_factory=dict)
    at: float | None = None
    _body: EventBody | None = PrivateAttr(default=None)

    def body(self, model: builtins.type[_Body]) -> _Body:
        """The detail as its model (parse_report read it); for the kinds in _BODIES only."""
        if not isinstance(self._body, model):
            raise TypeError(f"{self.kind.value} carries no {model.__name__}")
        return self._body


class _Tolerant(_Message):
    """A heartbeat part: a page may omit any field or send null for it (an old page, a stat not yet known), and
    gets the default rather than a refused heartbeat."""

    @field_validator("*", mode="before")
    @classmethod
    def _null_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name is not None:
            field = cls.model_fields[info.field_name]
            if not field.is_required():
                return field.get_default(call_default_factory=True)
        return value


class VideoStats(_Tolerant):
    """Frames the bot composes, or sends to Zoom (from the peer connection's outbound-rtp)."""

    fps: float = 0.0
    width: int = 0
    height: int = 0


class MediaStats(_Tolerant):
    """What a heartbeat says about the bot (the bridge's stats plus the page's own, bot_page/js/reporter.js)."""

    state: str | None = None
    room: str | None = None
    humans_in_room: int = 0
    avatar_ready: bool = False
    avatar_talking: bool = False
    avatar_session_id: str | None = None
    muted_by_host: bool = False
    mic_open: bool = False
    level_in: float = 0.0
    level_out: float = 0.0
    compositor: VideoStats = Field(default_factory=VideoStats)
    outbound_video: VideoStats | None = None

    @property
    def sent_video(self) -> VideoStats:
        """What reaches Zoom where the peer connection says so, else what the compositor draws (field by field)."""
        sent, drawn = self.outbound_video or VideoStats(), self.compositor
        return VideoStats(
            fps=sent.fps or drawn.fps, width=sent.width or drawn.width, height=sent.height or drawn.height
        )


class Heartbeat(_Message):
    type: Literal["heartbeat"]
    state: str | None = None
    stats: MediaStats = Field(default_factory=MediaStats)
    thumbnail: str | None = None
    at: float | None = None

    @field_validator("stats", mode="before")
    @classmethod
    def _no_stats(cls, value: Any) -> Any:
        return {} if value is None else value


PageReport = Annotated[StateReport | EventReport | Heartbeat, Field(discriminator="type")]
_REPORT = TypeAdapter(PageReport)


class BadReport(ValueError):
    """A report the farm cannot read (an old page, a bug): recorded as an event, then ignored."""


def parse_report(message: dict[str, Any]) -> StateReport | EventReport | Heartbeat:
    try:
        report = _REPORT.validate_python(message)
    except ValidationError as exc:
        raise BadReport(_first_error(exc)) from None
    if isinstance(report, StateReport):
        if report.state not in BOT_STATES:
            raise BadReport(f"state: a page cannot report {report.state.value!r}")
        if report.reason_text is not None:
            report.reason_text = without_secrets(report.reason_text)
        report.detail = scrubbed(report.detail)
    elif isinstance(report, EventReport):
        if report.kind not in _SPOKEN:
            report.detail = scrubbed(report.detail)
        model = _BODIES.get(report.kind)
        if model is not None:
            try:
                report._body = model.model_validate(report.detail)
            except ValidationError as exc:
                raise BadReport(_first_error(exc, f"{report.kind.value}.")) from None
    return report


def _first_error(exc: ValidationError, prefix: str = "") -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return without_secrets(f"{prefix}{where}: {first.get('msg')}")


# ---- commands ------------------------------------------------------------------------------------------------


class StartAvatar(BaseModel):
    session_token: str


class DeclineAvatar(BaseModel):
    words: str
    # When the page may ask again.
    retry_after_ms: int = Field(ge=0)


class StopAvatar(BaseModel):
    reason: str


class SendChat(BaseModel):
    """Write `text` in the Zoom chat, to one participant (None: everyone in the bot's room)."""

    text: str = Field(min_length=1, max_length=1000)
    to_user_id: int | None = None


class KnowBots(BaseModel):
    """These participants of the bot's meeting are the farm's bots (farm/room/meeting_bots.py)."""

    user_ids: list[int]
    participant_uuids: list[str]


# ---- answers -------------------------------------------------------------------------------------------------


class Pulse(_Message):
    """The page's answer to `avatarfarm.pulse()`: its clock now and when it last sent a heartbeat (both the
    page's Date.now(), so no clock is compared with the farm's)."""

    now: float
    last_heartbeat_at: float | None = None

    def beat_age_seconds(self) -> float | None:
        """How long ago the page sent its last heartbeat, by its own clock (None: never)."""
        if self.last_heartbeat_at is None:
            return None
        return max(0.0, (self.now - self.last_heartbeat_at) / 1000)
