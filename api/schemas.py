"""Request and response bodies of the REST API, validated at the edge with messages a professor understands."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Self

from annotated_types import MaxLen
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from api.material_schemas import GivenPassageOut
from farm.room.live_media import LiveMedia
from farm.vendors.liveavatar_client import FULL_CREDITS_PER_MINUTE
from state import models

MEETING_DIGITS = re.compile(r"^[0-9]{9,11}$")
# What the number validator accepts, for the schema: 9 to 11 digits with any spaces and dashes around them.
MEETING_NUMBER_PATTERN = r"^[\s-]*([0-9][\s-]*){9,11}$"
IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
MAX_COMMAND_TEXT = 1000
MAX_CONTEXT_TEXT = 20_000
MAX_COURSE_CONTEXT = 100_000
MAX_ROOMS_PER_REQUEST = 200


def _trimmed_strings(schema: dict[str, Any]) -> None:
    """The JSON schema of a model whose strings are trimmed before they are checked: a required text must have
    something besides spaces (pattern \\S), and a pattern holds for the text without its surrounding spaces."""
    for field in schema.get("properties", {}).values():
        for option in [field, *field.get("anyOf", [])]:
            if option.get("type") != "string":
                continue
            pattern = option.get("pattern")
            if pattern is None and option.get("minLength", 0) >= 1:
                option["pattern"] = r"\S"
            elif pattern is not None and pattern.startswith("^") and pattern.endswith("$"):
                option["pattern"] = rf"^\s*(?:{pattern[1:-1]})\s*$"


def strict_config(schema_extra: dict[str, Any] | None = None) -> ConfigDict:
    def update(schema: dict[str, Any], _: type[Any]) -> None:
        _trimmed_strings(schema)
        schema.update(schema_extra or {})

    return ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=update)


class Strict(BaseModel):
    """Unknown fields are refused rather than silently ignored; surrounding spaces are trimmed. A maximum length
    holds for the text as sent (so the schema's maxLength says exactly what is refused)."""

    model_config = strict_config()

    @field_validator("*", mode="before")
    @classmethod
    def _length_as_sent(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and info.field_name is not None:
            limits = [m.max_length for m in cls.model_fields[info.field_name].metadata if isinstance(m, MaxLen)]
            if limits and len(value) > limits[0]:
                raise PydanticCustomError(
                    "string_too_long",
                    "String should have at most {max_length} characters",
                    {"max_length": limits[0]},
                )
        return value


# ---- requests --------------------------------------------------------------------------------------------


# The meeting rule of MeetingIn's validator, said in its JSON schema too (so generated clients and property-based
# tests know it): an existing meeting has a number and no topic; a meeting to create has create: true, a topic,
# and no number or passcode.
MEETING_KINDS: dict[str, Any] = {
    "oneOf": [
        {
            "title": "An existing meeting",
            "required": ["number"],
            "properties": {
                "number": {"type": "string"},
                "create": {"enum": [False, None]},
                "topic": {"type": "null"},
            },
        },
        {
            "title": "A meeting to create",
            "required": ["create", "topic"],
            "properties": {
                "create": {"const": True},
                "topic": {"type": "string"},
                "number": {"type": "null"},
                "passcode": {"type": "null"},
            },
        },
    ]
}


class MeetingIn(Strict):
    """Either an existing meeting (`number`, optional `passcode`) or `create: true` with a `topic`."""

    model_config = strict_config(MEETING_KINDS)

    number: str | None = Field(
        None,
        description="Zoom meeting number, 9 to 11 digits; spaces and dashes are ignored.",
        examples=["85746065432"],
        json_schema_extra={"pattern": MEETING_NUMBER_PATTERN},
    )
    passcode: str | None = Field(None, max_length=10, description="The meeting passcode, if it has one.")
    create: StrictBool | None = Field(None, description="Set to true to have avatarfarm create the meeting.")
    topic: str | None = Field(None, min_length=1, max_length=200, description="Topic of the meeting to create.")

    @field_validator("number")
    @classmethod
    def _meeting_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = re.sub(r"[\s-]", "", value)
        if not MEETING_DIGITS.match(digits):
            raise ValueError("A Zoom meeting number has 9 to 11 digits, like 857 4606 5432.")
        return digits

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if self.create:
            if self.number is not None or self.passcode is not None:
                raise ValueError("Give either an existing meeting's number and passcode, or create: true, not both.")
            if not self.topic:
                raise ValueError("A meeting to create needs a topic.")
        else:
            if self.create is False and self.number is None:
                raise ValueError("Give the meeting's number, or set create: true to have one created.")
            if self.number is None:
                raise ValueError("Give the Zoom meeting number (9 to 11 digits), or set create: true.")
            if self.topic is not None:
                raise ValueError("A topic is only used when creating a meeting (create: true).")
        return self


class ProfessorIn(Strict):
    name: str = Field(min_length=1, max_length=100, description="Shown as the bot's name in the meeting.")
    avatar_id: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=IDENTIFIER,
        description="LiveAvatar avatar id of the professor's clone; leave it out to use your own "
        "(PUT /api/me/profile).",
    )
    voice_id: str | None = Field(None, min_length=1, max_length=100, pattern=IDENTIFIER)
    teaching_style: str | None = Field(None, max_length=2000, description="How the clone should teach.")


class CourseIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    context: str = Field(
        "", max_length=MAX_COURSE_CONTEXT, description="Course material the avatars may draw on (trimmed to fit)."
    )


class StudentIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    background: str = Field(
        "",
        max_length=2000,
        description="What the avatar should know about the student. The avatar may repeat it aloud to the room: "
        "write only what you would say in front of the student.",
    )


class RoomIn(Strict):
    name: str = Field(min_length=1, max_length=100, description="The breakout room's name in Zoom.")
    student: StudentIn


class SessionCreate(Strict):
    meeting: MeetingIn
    professor: ProfessorIn
    course: CourseIn
    # uniqueItems says part of the rule (no room twice); that names differ in more than case is said in words.
    rooms: list[RoomIn] = Field(
        min_length=1,
        max_length=MAX_ROOMS_PER_REQUEST,
        description="One per breakout room; room names must differ (ignoring case).",
        json_schema_extra={"uniqueItems": True},
    )

    @field_validator("rooms")
    @classmethod
    def _unique_room_names(cls, rooms: list[RoomIn]) -> list[RoomIn]:
        seen: dict[str, str] = {}
        for room in rooms:
            key = room.name.casefold()
            if key in seen:
                raise ValueError(f"Room names must be unique: '{room.name}' appears more than once.")
            seen[key] = room.name
        return rooms

    def to_new_session(self, *, idempotency_key: str | None, request_hash: str | None) -> models.NewSession:
        return models.NewSession(
            meeting=models.Meeting(
                number=self.meeting.number,
                passcode=self.meeting.passcode,
                topic=self.meeting.topic,
                create=bool(self.meeting.create),
            ),
            professor=models.Professor(**self.professor.model_dump()),  # avatar_id: filled by with_profile
            course=models.Course(**self.course.model_dump()),
            rooms=tuple(models.NewRoom(room.name, models.Student(**room.student.model_dump())) for room in self.rooms),
            idempotency_key=idempotency_key,
            request_hash=request_hash,
        )


class SayRequest(Strict):
    model_config = strict_config({"examples": [{"text": "Let's look at your second step again."}]})

    text: str = Field(min_length=1, max_length=MAX_COMMAND_TEXT, description="Spoken verbatim by the avatar.")


class ContextUpdate(Strict):
    model_config = strict_config({"examples": [{"text": "Focus on recursion today; the quiz covers base cases."}]})

    text: str = Field(min_length=1, max_length=MAX_CONTEXT_TEXT, description="Extra instructions for this room.")


SESSION_EXAMPLES: dict[str, Any] = {
    "existing_meeting": {
        "summary": "Clones in the breakout rooms of an existing meeting",
        "value": {
            "meeting": {"number": "85746065432", "passcode": "x7Yq2"},
            "professor": {
                "name": "Prof. Ada Lovelace",
                "avatar_id": "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a",
                "voice_id": "a4a3c8c1-6f0e-4f0b-8f71-56c9b1e6b2c2",
                "teaching_style": "Socratic; asks for the student's reasoning before giving hints.",
            },
            "course": {"name": "CS 101: Algorithms", "context": "Week 4: recursion, base cases, call stacks."},
            "rooms": [
                {"name": "Room 1", "student": {"name": "Grace", "background": "Strong in maths, new to Python."}},
                {"name": "Room 2", "student": {"name": "Alan", "background": "Wants to go deeper into proofs."}},
            ],
        },
    },
    "create_meeting": {
        "summary": "Have avatarfarm create the meeting",
        "value": {
            "meeting": {"create": True, "topic": "CS 101 office hours"},
            "professor": {"name": "Prof. Ada Lovelace", "avatar_id": "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"},
            "course": {"name": "CS 101: Algorithms", "context": ""},
            "rooms": [{"name": "Room 1", "student": {"name": "Grace"}}],
        },
    },
}


# ---- responses -------------------------------------------------------------------------------------------


def _time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


class UsageOut(BaseModel):
    minutes: float = Field(description="Avatar minutes so far (billed).")
    credits: float = Field(description="LiveAvatar credits so far.")
    meeting_minutes: float = Field(description="Minutes the bot spent in the meeting (main session included).")
    eager_credits: float = Field(
        description="What avatars running for every meeting minute would have cost (LiveAvatar FULL: "
        f"{FULL_CREDITS_PER_MINUTE:g} credits a minute)."
    )
    credits_saved: float = Field(
        description="eager_credits minus credits: what starting avatars only for students saved."
    )

    @classmethod
    def of(cls, usage: models.Usage) -> UsageOut:
        eager = usage.meeting_minutes * FULL_CREDITS_PER_MINUTE
        return cls(
            minutes=round(usage.minutes, 3),
            credits=round(usage.credits, 3),
            meeting_minutes=round(usage.meeting_minutes, 3),
            eager_credits=round(eager, 3),
            credits_saved=round(max(0.0, eager - usage.credits), 3),
        )


class StudentOut(BaseModel):
    name: str
    background: str


class MediaOut(BaseModel):
    """The room's latest heartbeat: what its bot sends and hears (absent while the room has no bot)."""

    updated_at: datetime
    outbound_fps: float = Field(description="Frames per second the bot's camera sends.")
    width: int
    height: int
    level_out: float = Field(
        description="Loudness of the avatar's voice going out: the loudest RMS (0..1) since the bot's previous "
        "heartbeat."
    )
    level_in: float = Field(
        description="Loudness of the room's audio reaching the avatar: the loudest RMS (0..1) since the bot's previous "
        "heartbeat."
    )
    avatar_ready: bool
    avatar_talking: bool
    people_in_room: int
    thumbnail_url: str | None = Field(description="Latest JPEG of what the bot sends as its camera.")

    @classmethod
    def of(cls, media: LiveMedia | None, thumbnail_url: str) -> MediaOut | None:
        if media is None:
            return None
        stats = media.stats
        video = stats.sent_video
        return cls(
            updated_at=datetime.fromtimestamp(media.updated_at, tz=UTC),
            outbound_fps=video.fps,
            width=video.width,
            height=video.height,
            level_out=round(stats.level_out, 4),
            level_in=round(stats.level_in, 4),
            avatar_ready=stats.avatar_ready,
            avatar_talking=stats.avatar_talking,
            people_in_room=stats.humans_in_room,
            thumbnail_url=f"{thumbnail_url}?t={int(media.thumbnail_at * 1000)}" if media.thumbnail_at else None,
        )


MediaLookup = Callable[[str], "LiveMedia | None"]


class RoomOut(BaseModel):
    id: str
    name: str
    status: models.RoomStatus
    reason: str | None = Field(None, description="Why the room failed or ended, as a code.")
    reason_text: str | None = Field(None, description="The same reason in words.")
    student: StudentOut
    avatar_live: bool
    live_since: datetime | None
    ended_at: datetime | None
    context_updated: bool = Field(description="Whether instructions were added with PUT …/context.")
    usage: UsageOut
    media: MediaOut | None = Field(None, description="Live media of the room's bot, from its heartbeats.")
    node: str | None = Field(None, description="The browser node running (or that last ran) the room's bot.")

    @classmethod
    def of(cls, room: models.Room, media: MediaLookup | None = None) -> RoomOut:
        thumbnail = f"/api/sessions/{room.session_id}/rooms/{room.id}/thumbnail"
        return cls(
            id=room.id,
            name=room.name,
            status=room.status,
            reason=room.reason,
            reason_text=room.reason_text,
            student=StudentOut(name=room.student.name, background=room.student.background),
            avatar_live=room.avatar_live,
            live_since=_time(room.live_since),
            ended_at=_time(room.ended_at),
            context_updated=room.context_text is not None,
            usage=UsageOut.of(room.usage),
            media=MediaOut.of(media(room.id), thumbnail) if media else None,
            node=room.node,
        )


class MeetingOut(BaseModel):
    number: str | None
    topic: str | None
    create: bool
    passcode_set: bool = Field(description="The passcode itself is never returned.")


class ProfessorOut(BaseModel):
    name: str
    avatar_id: str
    voice_id: str | None
    teaching_style: str | None


class CourseOut(BaseModel):
    name: str
    context_characters: int


class SummaryOut(BaseModel):
    rooms_total: int
    rooms_live: int
    rooms_failed: int
    avatars_live: int
    minutes: float
    credits: float
    budget_left: float | None = Field(description="Credits left under AVATARFARM_SESSION_CREDIT_BUDGET, if set.")
    money: UsageOut = Field(description="The session's avatar minutes and credits against its meeting minutes.")


class SessionOut(BaseModel):
    id: str
    status: models.SessionStatus
    meeting: MeetingOut
    professor: ProfessorOut
    course: CourseOut
    rooms: list[RoomOut]
    summary: SummaryOut
    end_reason: str | None
    created_at: datetime
    ended_at: datetime | None

    @classmethod
    def of(
        cls, session: models.Session, *, credit_budget: float | None, media: MediaLookup | None = None
    ) -> SessionOut:
        usage = session.usage
        return cls(
            id=session.id,
            status=session.status,
            meeting=MeetingOut(
                number=session.meeting.number,
                topic=session.meeting.topic,
                create=session.meeting.create,
                passcode_set=bool(session.meeting.passcode),
            ),
            professor=ProfessorOut(
                name=session.professor.name,
                avatar_id=session.professor.avatar_id,
                voice_id=session.professor.voice_id,
                teaching_style=session.professor.teaching_style,
            ),
            course=CourseOut(name=session.course.name, context_characters=len(session.course.context)),
            rooms=[RoomOut.of(room, media) for room in session.rooms],
            summary=SummaryOut(
                rooms_total=len(session.rooms),
                rooms_live=sum(room.status is models.RoomStatus.live for room in session.rooms),
                rooms_failed=sum(room.status is models.RoomStatus.failed for room in session.rooms),
                avatars_live=sum(room.avatar_live for room in session.rooms),
                minutes=round(usage.minutes, 3),
                credits=round(usage.credits, 3),
                budget_left=None if credit_budget is None else round(max(0.0, credit_budget - usage.credits), 3),
                money=UsageOut.of(usage),
            ),
            end_reason=session.end_reason,
            created_at=datetime.fromtimestamp(session.created_at, tz=UTC),
            ended_at=_time(session.ended_at),
        )


class SessionList(BaseModel):
    sessions: list[SessionOut]


class EventOut(BaseModel):
    id: int
    time: datetime
    session_id: str | None
    room_id: str | None
    kind: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, event: models.Event) -> EventOut:
        return cls(
            id=event.id,
            time=datetime.fromtimestamp(event.time, tz=UTC),
            session_id=event.session_id,
            room_id=event.room_id,
            kind=event.kind,
            detail=event.detail,
        )


class TranscriptLineOut(BaseModel):
    speaker: str
    role: models.TranscriptRole
    text: str
    time: datetime


class BotOut(BaseModel):
    id: str
    attempt: int
    status: str
    node: str
    end_reason: str | None
    started_at: datetime
    ended_at: datetime | None


class AvatarSessionOut(BaseModel):
    id: str
    vendor_session_id: str | None
    status: models.AvatarSessionStatus
    started_at: datetime | None
    stopped_at: datetime | None
    minutes: float
    credits: float
    end_reason: str | None
    passages: list[GivenPassageOut] = Field(
        default_factory=list, description="The course passages its context held, in context order."
    )


class RoomDetail(RoomOut):
    session_id: str
    context_text: str | None
    bots: list[BotOut]
    avatar_sessions: list[AvatarSessionOut]
    transcript: list[TranscriptLineOut]
    events: list[EventOut]

    @classmethod
    def build(
        cls,
        room: models.Room,
        *,
        media: MediaLookup | None,
        bots: list[models.Bot],
        avatar_sessions: list[models.AvatarSession],
        transcript: list[models.TranscriptLine],
        events: list[models.Event],
        given: Mapping[str, Sequence[models.GivenPassage]] | None = None,
    ) -> RoomDetail:
        return cls(
            **RoomOut.of(room, media).model_dump(),
            session_id=room.session_id,
            context_text=room.context_text,
            bots=[
                BotOut(
                    id=b.id,
                    attempt=b.attempt,
                    status=b.status,
                    node=b.node,
                    end_reason=b.end_reason,
                    started_at=datetime.fromtimestamp(b.started_at, tz=UTC),
                    ended_at=_time(b.ended_at),
                )
                for b in bots
            ],
            avatar_sessions=[
                AvatarSessionOut(
                    id=a.id,
                    vendor_session_id=a.vendor_session_id,
                    status=a.status,
                    started_at=_time(a.started_at),
                    stopped_at=_time(a.stopped_at),
                    minutes=round(a.minutes, 3),
                    credits=round(a.credits, 3),
                    end_reason=a.end_reason,
                    passages=[GivenPassageOut.of(g) for g in (given or {}).get(a.id, ())],
                )
                for a in avatar_sessions
            ],
            transcript=[
                TranscriptLineOut(
                    speaker=t.speaker, role=t.role, text=t.text, time=datetime.fromtimestamp(t.time, tz=UTC)
                )
                for t in transcript
            ],
            events=[EventOut.of(e) for e in events],
        )


class CommandAccepted(BaseModel):
    room_id: str
    command: str
    event_id: int = Field(description="Id of the event that records the command (see GET /api/events).")


class ErrorItem(BaseModel):
    field: str | None
    message: str


class ErrorOut(BaseModel):
    error: str = Field(description="A stable code: invalid_request, unauthorized, not_found, conflict, …")
    message: str = Field(description="What went wrong, in words.")
    detail: list[ErrorItem] = Field(default_factory=list)


# ---- the conversation record: transcripts and the session report ---------------------------------------------


class TranscriptEntryOut(BaseModel):
    """One line of a room's transcript, in the order it was said."""

    time: datetime
    speaker: str = Field(description="Who spoke: the student's meeting name, or the professor's AI name.")
    role: models.TranscriptRole
    text: str
    source: str = Field(description="live (reported by the bot) or vendor (filled in from LiveAvatar's transcript).")

    @classmethod
    def of(cls, line: models.TranscriptLine) -> TranscriptEntryOut:
        return cls(
            time=datetime.fromtimestamp(line.time, tz=UTC),
            speaker=line.speaker,
            role=line.role,
            text=line.text,
            source=line.source,
        )


class TranscriptOut(BaseModel):
    session_id: str
    room_id: str
    room: str
    lines: list[TranscriptEntryOut]


class IncidentOut(BaseModel):
    time: datetime
    kind: str = Field(description="restart, failure, avatar_dropped or avatar_failed.")
    words: str = Field(description="What happened, in words.")


class DownloadsOut(BaseModel):
    transcript: str = Field(description="The transcript as JSON.")
    markdown: str = Field(description="The transcript as a Markdown file.")
    webvtt: str = Field(description="The transcript as a WebVTT file.")


class TalkOut(BaseModel):
    seconds: float
    measured: bool = Field(description="False when estimated from the words said (no speaking signal was recorded).")


class AvatarStartPassagesOut(BaseModel):
    avatar_session_id: str
    requested_at: datetime
    passages: list[GivenPassageOut]


class RoomReportOut(BaseModel):
    room_id: str
    name: str
    status: models.RoomStatus
    students: list[str] = Field(description="The meeting names of the students who spoke.")
    duration_seconds: float = Field(description="How long the room was live with its bot.")
    first_live_at: datetime | None
    ended_at: datetime | None
    student_talk: TalkOut
    avatar_talk: TalkOut
    student_questions: int
    student_lines: int
    avatar_lines: int
    minutes: float = Field(description="Avatar minutes billed.")
    credits: float = Field(description="LiveAvatar credits used.")
    restarts: int
    failures: int
    incidents: list[IncidentOut]
    downloads: DownloadsOut
    context_passages: list[AvatarStartPassagesOut] = Field(
        default_factory=list, description="Per avatar start, the course passages its context held."
    )


class ReportTotalsOut(BaseModel):
    rooms: int
    duration_seconds: float = Field(description="Room-time: the rooms' live durations added up.")
    student_talk_seconds: float
    avatar_talk_seconds: float
    student_questions: int
    minutes: float
    credits: float
    restarts: int
    failures: int


class SessionReportOut(BaseModel):
    session_id: str
    course: str
    professor: str
    status: models.SessionStatus
    final: bool = Field(description="True once the session has ended (the numbers will not change).")
    created_at: datetime
    ended_at: datetime | None
    generated_at: datetime
    rooms: list[RoomReportOut]
    totals: ReportTotalsOut


# ---- the LiveAvatar account's avatars and voices (for the start form's pickers) -------------------------------


class VoiceRefOut(BaseModel):
    id: str
    name: str


class AvatarChoiceOut(BaseModel):
    id: str = Field(description="Use it as professor.avatar_id.")
    name: str
    status: str = Field(description="LiveAvatar's status: ACTIVE, INIT, DEPLOYING or FAILED.")
    ready: bool = Field(description="Whether a session may use it now (status ACTIVE).")
    preview_url: str | None = Field(description="Its preview image, served by this server.")
    default_voice: VoiceRefOut | None = Field(description="The voice it speaks with when professor.voice_id is unset.")
    public: bool = Field(description="One of LiveAvatar's public avatars (else the account's own).")


class AvatarList(BaseModel):
    avatars: list[AvatarChoiceOut]


class VoiceChoiceOut(BaseModel):
    id: str = Field(description="Use it as professor.voice_id.")
    name: str
    language: str | None
    gender: str | None


class VoiceList(BaseModel):
    voices: list[VoiceChoiceOut]
