"""Row helpers shared by the repository's areas: ids, JSON columns, and the mappers from SQLite rows to the
typed records of state.models (no raw row leaves state/)."""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any

from state.models import (
    AvatarSession,
    AvatarSessionStatus,
    Bot,
    Course,
    Event,
    Meeting,
    Professor,
    Room,
    RoomStatus,
    Session,
    SessionStatus,
    Student,
    TranscriptLine,
    TranscriptRole,
    Usage,
)


class NotFound(Exception):
    """No such session, room, bot or avatar session."""


class RoomClosed(Exception):
    """The room has ended or failed: it reopens only when asked to (a restart), never by a late status write."""


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different request."""


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


def json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


ROOM_SELECT = """
SELECT r.*,
       COALESCE((SELECT SUM(a.minutes) FROM avatar_sessions a WHERE a.room_id = r.id), 0) AS usage_minutes,
       COALESCE((SELECT SUM(a.credits) FROM avatar_sessions a WHERE a.room_id = r.id), 0) AS usage_credits,
       EXISTS (SELECT 1 FROM avatar_sessions a WHERE a.room_id = r.id AND a.status = 'active') AS avatar_live,
       COALESCE((SELECT SUM(COALESCE(b.ended_at, (julianday('now') - 2440587.5) * 86400.0) - b.started_at)
                 FROM bots b WHERE b.room_id = r.id), 0) / 60.0 AS meeting_minutes,
       (SELECT b.node FROM bots b WHERE b.room_id = r.id ORDER BY b.attempt DESC LIMIT 1) AS node
FROM rooms r
"""


def room_of(row: sqlite3.Row) -> Room:
    return Room(
        id=row["id"],
        session_id=row["session_id"],
        position=row["position"],
        name=row["name"],
        student=Student(**json.loads(row["student"])),
        status=RoomStatus(row["status"]),
        reason=row["reason"],
        reason_text=row["reason_text"],
        context_text=row["context_text"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        live_since=row["live_since"],
        ended_at=row["ended_at"],
        usage=Usage(float(row["usage_minutes"]), float(row["usage_credits"]), max(0.0, float(row["meeting_minutes"]))),
        avatar_live=bool(row["avatar_live"]),
        avatar_context_id=row["avatar_context_id"],
        node=row["node"],
    )


def session_of(row: sqlite3.Row, rooms: tuple[Room, ...], *, passcode: str | None) -> Session:
    """The session of a row; `passcode` is the meeting passcode already decrypted (it is stored encrypted)."""
    return Session(
        id=row["id"],
        status=SessionStatus(row["status"]),
        meeting=Meeting(
            number=row["meeting_number"],
            passcode=passcode,
            topic=row["meeting_topic"],
            create=bool(row["create_meeting"]),
        ),
        professor=Professor(**json.loads(row["professor"])),
        course=Course(**json.loads(row["course"])),
        end_reason=row["end_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        ended_at=row["ended_at"],
        rooms=rooms,
    )


def bot_of(row: sqlite3.Row) -> Bot:
    return Bot(
        id=row["id"],
        room_id=row["room_id"],
        attempt=row["attempt"],
        status=row["status"],
        node=row["node"],
        end_reason=row["end_reason"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
    )


def avatar_session_of(row: sqlite3.Row) -> AvatarSession:
    return AvatarSession(
        id=row["id"],
        room_id=row["room_id"],
        bot_id=row["bot_id"],
        vendor_session_id=row["vendor_session_id"],
        status=AvatarSessionStatus(row["status"]),
        created_at=row["created_at"],
        started_at=row["started_at"],
        stopped_at=row["stopped_at"],
        minutes=row["minutes"],
        credits=row["credits"],
        end_reason=row["end_reason"],
    )


def event_of(row: sqlite3.Row) -> Event:
    return Event(
        id=row["id"],
        time=row["time"],
        session_id=row["session_id"],
        room_id=row["room_id"],
        kind=row["kind"],
        detail=json.loads(row["detail"]),
    )


def transcript_of(row: sqlite3.Row) -> TranscriptLine:
    return TranscriptLine(
        id=row["id"],
        room_id=row["room_id"],
        speaker=row["speaker"],
        role=TranscriptRole(row["role"]),
        text=row["text"],
        time=row["time"],
        source=row["source"],
    )
