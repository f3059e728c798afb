"""Typed records of the state store: what the repository returns and accepts (no raw rows leave state/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from state.vocabulary import RoomStatus


class SessionStatus(StrEnum):
    active = "active"
    ending = "ending"
    ended = "ended"


class AvatarSessionStatus(StrEnum):
    requested = "requested"
    active = "active"
    stopped = "stopped"
    failed = "failed"


class TranscriptRole(StrEnum):
    student = "student"
    avatar = "avatar"
    professor = "professor"
    system = "system"


@dataclass(frozen=True)
class Professor:
    name: str
    avatar_id: str
    voice_id: str | None = None
    teaching_style: str | None = None


@dataclass(frozen=True)
class Course:
    name: str
    context: str = ""


@dataclass(frozen=True)
class Student:
    name: str
    background: str = ""


@dataclass(frozen=True)
class Meeting:
    """The Zoom meeting a session runs in: an existing one, or one to be created with a topic."""

    number: str | None
    passcode: str | None = None
    topic: str | None = None
    create: bool = False


@dataclass(frozen=True)
class NewRoom:
    name: str
    student: Student


@dataclass(frozen=True)
class NewSession:
    meeting: Meeting
    professor: Professor
    course: Course
    rooms: tuple[NewRoom, ...]
    idempotency_key: str | None = None
    request_hash: str | None = None
    owner_id: str = "admin"  # the professor the session belongs to (state/professors_repository.py)


@dataclass(frozen=True)
class Usage:
    """Avatar minutes and vendor credits, summed over avatar sessions, beside the minutes the bots spent in the
    meeting (what an avatar running from join to leave would have billed)."""

    minutes: float = 0.0
    credits: float = 0.0
    meeting_minutes: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.minutes + other.minutes, self.credits + other.credits, self.meeting_minutes + other.meeting_minutes
        )


@dataclass(frozen=True)
class Room:
    id: str
    session_id: str
    position: int
    name: str
    student: Student
    status: RoomStatus
    reason: str | None
    reason_text: str | None
    context_text: str | None
    created_at: float
    updated_at: float
    live_since: float | None
    ended_at: float | None
    usage: Usage = field(default_factory=Usage)
    avatar_live: bool = False
    avatar_context_id: str | None = None
    node: str | None = None  # the browser node of the room's latest bot


@dataclass(frozen=True)
class Session:
    id: str
    status: SessionStatus
    meeting: Meeting
    professor: Professor
    course: Course
    end_reason: str | None
    created_at: float
    updated_at: float
    ended_at: float | None
    rooms: tuple[Room, ...] = ()
    owner_id: str = "admin"

    @property
    def usage(self) -> Usage:
        total = Usage()
        for room in self.rooms:
            total = total + room.usage
        return total


@dataclass(frozen=True)
class Bot:
    id: str
    room_id: str
    attempt: int
    status: str
    node: str
    end_reason: str | None
    started_at: float
    ended_at: float | None


@dataclass(frozen=True)
class AvatarSession:
    id: str
    room_id: str
    bot_id: str | None
    vendor_session_id: str | None
    status: AvatarSessionStatus
    created_at: float
    started_at: float | None
    stopped_at: float | None
    minutes: float
    credits: float
    end_reason: str | None


@dataclass(frozen=True)
class ZoomGrant:
    """A Zoom user's OAuth grant to avatarfarm (secret: never leaves the server)."""

    user_id: str
    email: str | None
    refresh_token: str
    access_token: str | None
    access_expires_at: float | None
    updated_at: float
    professor_id: str = "admin"  # the professor who connected it (one grant each)


@dataclass(frozen=True)
class Event:
    id: int
    time: float
    session_id: str | None
    room_id: str | None
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class TranscriptLine:
    id: int
    room_id: str
    speaker: str
    role: TranscriptRole
    text: str
    time: float
    source: str = "live"  # live (from the bot page) or vendor (filled in from LiveAvatar's transcript)


class MaterialKind(StrEnum):
    """The kinds of course material avatarfarm reads."""

    pdf = "pdf"
    pptx = "pptx"
    docx = "docx"
    markdown = "markdown"
    text = "text"


@dataclass(frozen=True)
class Material:
    """An uploaded file of a course: its text is kept as passages, the file itself under DATA_DIR by its hash."""

    id: str
    course: str
    filename: str
    kind: MaterialKind
    sha256: str
    size: int
    units: int  # pages, slides or sections
    passages: int
    created_at: float
    owner_id: str = "admin"  # the professor whose course material this is


@dataclass(frozen=True)
class Passage:
    """A piece of a material's text that keeps where it came from (file, and page or slide)."""

    id: int
    material_id: str
    filename: str
    location: str | None
    text: str

    @property
    def source(self) -> str:
        """How the avatar cites it: "algorithms-notes.pdf, p. 28"."""
        return f"{self.filename}, {self.location}" if self.location else self.filename


@dataclass(frozen=True)
class GivenPassage:
    """A passage an avatar session's context held (source and excerpt copied: true after a material is gone)."""

    passage_id: int | None
    source: str
    excerpt: str
    pinned: bool
