"""The session report: per room how long it was live, how long the students and the avatar talked, how many
questions the students asked, what it cost, and what went wrong (restarts and failures, in words); and the
session's totals. Everything is derived from what the store already holds: room.status events (live time,
incidents), talk spans (talk time), transcript lines (questions, and talk time where no span was measured),
avatar sessions (minutes, credits), and the course passages each avatar start was given.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from state.database import Database, Reader
from state.materials_repository import given_passages_in
from state.models import GivenPassage, Room, RoomStatus, Session
from state.talk_time import MAX_SPAN_SECONDS

# Where no speaking signal was measured, talk time is estimated from the words said at a classroom pace.
WORDS_PER_SECOND = 2.5
_QUESTION_OPENERS = frozenset(
    "what why how when where who whom whose which is are am was were can could would should shall will do does "
    "did have has had isn't aren't can't couldn't wouldn't shouldn't won't don't doesn't didn't may might".split()
)
_WORD = re.compile(r"[\w']+")


def is_question(text: str) -> bool:
    """A student line asks something: it ends with '?' or (speech recognition writes no punctuation) it opens
    with a question word, or has one right after a short lead-in such as "so" or "but"."""
    stripped = text.strip()
    if stripped.endswith("?"):
        return True
    words = _WORD.findall(stripped.lower())
    if not words:
        return False
    if words[0] in _QUESTION_OPENERS:
        return True
    return (
        len(words) > 1
        and words[0] in {"so", "but", "and", "then", "okay", "ok", "um", "uh"}
        and (words[1] in _QUESTION_OPENERS)
    )


@dataclass(frozen=True)
class TalkTime:
    seconds: float
    measured: bool  # False: estimated from the words (no speaking signal was recorded)


@dataclass(frozen=True)
class Incident:
    time: float
    kind: str  # restart | failure | avatar_dropped | avatar_failed
    words: str


@dataclass(frozen=True)
class AvatarStart:
    """The course passages one avatar session's context held."""

    avatar_session_id: str
    requested_at: float
    passages: tuple[GivenPassage, ...]


@dataclass(frozen=True)
class RoomReport:
    room_id: str
    name: str
    status: RoomStatus
    students: tuple[str, ...]
    live_seconds: float
    first_live_at: float | None
    ended_at: float | None
    student_talk: TalkTime
    avatar_talk: TalkTime
    student_questions: int
    student_lines: int
    avatar_lines: int
    minutes: float
    credits: float
    restarts: int
    failures: int
    incidents: tuple[Incident, ...]
    avatar_starts: tuple[AvatarStart, ...] = ()  # those whose context held course passages


@dataclass(frozen=True)
class SessionReport:
    session: Session
    generated_at: float
    rooms: tuple[RoomReport, ...] = field(default_factory=tuple)

    @property
    def live_seconds(self) -> float:
        return sum(r.live_seconds for r in self.rooms)

    @property
    def student_talk_seconds(self) -> float:
        return sum(r.student_talk.seconds for r in self.rooms)

    @property
    def avatar_talk_seconds(self) -> float:
        return sum(r.avatar_talk.seconds for r in self.rooms)

    @property
    def student_questions(self) -> int:
        return sum(r.student_questions for r in self.rooms)

    @property
    def minutes(self) -> float:
        return sum(r.minutes for r in self.rooms)

    @property
    def credits(self) -> float:
        return sum(r.credits for r in self.rooms)

    @property
    def restarts(self) -> int:
        return sum(r.restarts for r in self.rooms)

    @property
    def failures(self) -> int:
        return sum(r.failures for r in self.rooms)


def _live_seconds(status_events: list[tuple[float, dict[str, Any]]], end: float) -> tuple[float, float | None]:
    total, since, first = 0.0, None, None
    for at, detail in status_events:
        if detail.get("status") == "live":
            if since is None:
                since = at
                first = first if first is not None else at
        elif since is not None:
            total += at - since
            since = None
    if since is not None:
        total += max(0.0, end - since)
    return total, first


def _span_seconds(rows: list[Any], role: str, end: float) -> float | None:
    mine = [r for r in rows if r["role"] == role]
    if not mine:
        return None
    total = 0.0
    for i, row in enumerate(mine):
        stop = row["ended_at"]
        if stop is None:  # never closed (the bot went away): up to the next span or the room's end
            stop = mine[i + 1]["started_at"] if i + 1 < len(mine) else end
            stop = min(stop, row["started_at"] + MAX_SPAN_SECONDS)
        total += max(0.0, min(stop, end) - row["started_at"])
    return total


def _estimated(lines: list[Any]) -> float:
    return sum(len(_WORD.findall(line["text"])) for line in lines) / WORDS_PER_SECOND


def _incident_words(kind: str, detail: dict[str, Any]) -> str:
    reason = detail.get("reason_text") or detail.get("reason") or "no reason given"
    if kind == "avatar.dropped":
        return f"The avatar dropped out ({detail.get('reason') or 'no reason given'}); it was restarted."
    if kind == "avatar.stopped":
        return f"An avatar session failed: {detail.get('reason') or 'no reason given'}."
    if detail.get("status") == "failed":
        return f"The room failed: {reason}"
    return f"The bot was restarted: {reason}"


async def _room_report(reader: Reader, room: Room, now: float) -> RoomReport:
    room_id = room.id
    end = room.ended_at or now
    events = await reader.fetchall(
        "SELECT time, kind, detail FROM events WHERE room_id = ? AND kind IN "
        "('room.status', 'avatar.dropped', 'avatar.stopped') ORDER BY id",
        (room_id,),
    )
    statuses: list[tuple[float, dict[str, Any]]] = []
    incidents: list[Incident] = []
    restarts = failures = 0
    for row in events:
        detail = json.loads(row["detail"])
        if row["kind"] == "room.status":
            statuses.append((row["time"], detail))
            if detail.get("status") == "recovering":
                restarts += 1
                incidents.append(Incident(row["time"], "restart", _incident_words(row["kind"], detail)))
            elif detail.get("status") == "failed":
                failures += 1
                incidents.append(Incident(row["time"], "failure", _incident_words(row["kind"], detail)))
        elif row["kind"] == "avatar.dropped":
            incidents.append(Incident(row["time"], "avatar_dropped", _incident_words(row["kind"], detail)))
        elif detail.get("status") == "failed":
            failures += 1
            incidents.append(Incident(row["time"], "avatar_failed", _incident_words(row["kind"], detail)))
    terminal = [at for at, detail in statuses if detail.get("status") in ("ended", "failed")]
    if terminal and room.status.terminal:
        end = terminal[-1]
    live, first_live = _live_seconds(statuses, end)
    lines = await reader.fetchall(
        "SELECT speaker, role, text FROM transcripts WHERE room_id = ? ORDER BY time, id", (room_id,)
    )
    student_lines = [line for line in lines if line["role"] == "student"]
    avatar_lines = [line for line in lines if line["role"] == "avatar"]
    spans = await reader.fetchall(
        "SELECT role, started_at, ended_at FROM talk_spans WHERE room_id = ? ORDER BY started_at, id", (room_id,)
    )
    talk = {}
    for role, said in (("student", student_lines), ("avatar", avatar_lines)):
        measured = _span_seconds(spans, role, end)
        talk[role] = TalkTime(measured, True) if measured is not None else TalkTime(_estimated(said), not said)
    given = await given_passages_in(reader, room_id)
    requested = {
        row["id"]: row["created_at"]
        for row in await reader.fetchall("SELECT id, created_at FROM avatar_sessions WHERE room_id = ?", (room_id,))
    }
    return RoomReport(
        room_id=room_id,
        name=room.name,
        status=room.status,
        students=tuple(dict.fromkeys(line["speaker"] for line in student_lines)),
        live_seconds=live,
        first_live_at=first_live,
        ended_at=room.ended_at,
        student_talk=talk["student"],
        avatar_talk=talk["avatar"],
        student_questions=sum(is_question(line["text"]) for line in student_lines),
        student_lines=len(student_lines),
        avatar_lines=len(avatar_lines),
        minutes=room.usage.minutes,
        credits=room.usage.credits,
        restarts=restarts,
        failures=failures,
        incidents=tuple(sorted(incidents, key=lambda i: i.time)),
        avatar_starts=tuple(AvatarStart(av, requested.get(av, 0.0), tuple(g)) for av, g in given.items()),
    )


async def session_report(db: Database, session: Session, *, now: float | None = None) -> SessionReport:
    """The report of `session` (as read by the caller), from one consistent snapshot."""
    at = time.time() if now is None else now
    async with db.snapshot() as reader:
        rooms = tuple([await _room_report(reader, room, at) for room in session.rooms])
    return SessionReport(session=session, generated_at=at, rooms=rooms)


class Reports:
    """Session reports, over one database (Repository.reports)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def session(self, session: Session, *, now: float | None = None) -> SessionReport:
        return await session_report(self._db, session, now=now)
