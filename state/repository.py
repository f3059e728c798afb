"""The typed repository: reads return records from state.models; each write is one transaction that also
appends the event describing it."""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import asdict
from typing import Any

from state.database import Database, Reader, Transaction
from state.models import (
    AvatarSession,
    AvatarSessionStatus,
    Bot,
    Course,
    Event,
    Meeting,
    NewSession,
    Professor,
    Room,
    RoomStatus,
    Session,
    SessionStatus,
    Student,
    TranscriptLine,
    TranscriptRole,
    Usage,
    ZoomGrant,
)


class NotFound(Exception):
    """No such session, room, bot or avatar session."""


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different request."""


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_ROOM_SELECT = """
SELECT r.*,
       COALESCE((SELECT SUM(a.minutes) FROM avatar_sessions a WHERE a.room_id = r.id), 0) AS usage_minutes,
       COALESCE((SELECT SUM(a.credits) FROM avatar_sessions a WHERE a.room_id = r.id), 0) AS usage_credits,
       EXISTS (SELECT 1 FROM avatar_sessions a WHERE a.room_id = r.id AND a.status = 'active') AS avatar_live,
       COALESCE((SELECT SUM(COALESCE(b.ended_at, (julianday('now') - 2440587.5) * 86400.0) - b.started_at)
                 FROM bots b WHERE b.room_id = r.id), 0) / 60.0 AS meeting_minutes,
       (SELECT b.node FROM bots b WHERE b.room_id = r.id ORDER BY b.attempt DESC LIMIT 1) AS node
FROM rooms r
"""


def _room(row: sqlite3.Row) -> Room:
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


def _session(row: sqlite3.Row, rooms: tuple[Room, ...]) -> Session:
    return Session(
        id=row["id"],
        status=SessionStatus(row["status"]),
        meeting=Meeting(
            number=row["meeting_number"],
            passcode=row["meeting_passcode"],
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


def _bot(row: sqlite3.Row) -> Bot:
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


def _avatar_session(row: sqlite3.Row) -> AvatarSession:
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


def _event(row: sqlite3.Row) -> Event:
    return Event(
        id=row["id"],
        time=row["time"],
        session_id=row["session_id"],
        room_id=row["room_id"],
        kind=row["kind"],
        detail=json.loads(row["detail"]),
    )


def _transcript(row: sqlite3.Row) -> TranscriptLine:
    return TranscriptLine(
        id=row["id"],
        room_id=row["room_id"],
        speaker=row["speaker"],
        role=TranscriptRole(row["role"]),
        text=row["text"],
        time=row["time"],
    )


class Repository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- reads -------------------------------------------------------------------------------------------

    async def _load_session(self, reader: Reader, session_id: str) -> Session | None:
        row = await reader.fetchone("SELECT * FROM sessions WHERE id = ?", (session_id,))
        if row is None:
            return None
        rooms = await reader.fetchall(_ROOM_SELECT + " WHERE r.session_id = ? ORDER BY r.position", (session_id,))
        return _session(row, tuple(_room(r) for r in rooms))

    async def get_session(self, session_id: str) -> Session | None:
        async with self.db.snapshot() as reader:
            return await self._load_session(reader, session_id)

    async def require_session(self, session_id: str) -> Session:
        session = await self.get_session(session_id)
        if session is None:
            raise NotFound(f"session {session_id}")
        return session

    async def list_sessions(self, *, status: SessionStatus | None = None, limit: int = 50) -> list[Session]:
        async with self.db.snapshot() as reader:
            if status is None:
                rows = await reader.fetchall("SELECT id FROM sessions ORDER BY created_at DESC, id LIMIT ?", (limit,))
            else:
                rows = await reader.fetchall(
                    "SELECT id FROM sessions WHERE status = ? ORDER BY created_at DESC, id LIMIT ?",
                    (status.value, limit),
                )
            sessions = [await self._load_session(reader, row["id"]) for row in rows]
        return [s for s in sessions if s is not None]

    async def get_room(self, room_id: str) -> Room | None:
        async with self.db.snapshot() as reader:
            row = await reader.fetchone(_ROOM_SELECT + " WHERE r.id = ?", (room_id,))
        return None if row is None else _room(row)

    async def rooms_in_status(self, statuses: tuple[RoomStatus, ...]) -> list[Room]:
        marks = ",".join("?" for _ in statuses)
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                _ROOM_SELECT + f" WHERE r.status IN ({marks}) ORDER BY r.created_at, r.position",
                tuple(s.value for s in statuses),
            )
        return [_room(r) for r in rows]

    async def events(
        self,
        *,
        after_id: int = 0,
        session_id: str | None = None,
        room_id: str | None = None,
        limit: int = 500,
    ) -> list[Event]:
        clauses = ["id > ?"]
        params: list[Any] = [after_id]
        if session_id is not None:
            clauses.append("session_id = ?")
            params.append(session_id)
        if room_id is not None:
            clauses.append("room_id = ?")
            params.append(room_id)
        params.append(limit)
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                f"SELECT * FROM events WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?", params
            )
        return [_event(r) for r in rows]

    async def recent_events(self, *, room_id: str, limit: int = 100) -> list[Event]:
        """The room's latest events, oldest first."""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT * FROM (SELECT * FROM events WHERE room_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
                (room_id, limit),
            )
        return [_event(r) for r in rows]

    async def last_event_id(self) -> int:
        async with self.db.snapshot() as reader:
            return int(await reader.scalar("SELECT COALESCE(MAX(id), 0) FROM events"))

    async def transcript(self, room_id: str, *, limit: int = 200) -> list[TranscriptLine]:
        """The room's latest transcript lines, oldest first."""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT * FROM (SELECT * FROM transcripts WHERE room_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
                (room_id, limit),
            )
        return [_transcript(r) for r in rows]

    async def bots(self, room_id: str) -> list[Bot]:
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall("SELECT * FROM bots WHERE room_id = ? ORDER BY attempt", (room_id,))
        return [_bot(r) for r in rows]

    async def avatar_sessions(self, room_id: str) -> list[AvatarSession]:
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT * FROM avatar_sessions WHERE room_id = ? ORDER BY created_at, id", (room_id,)
            )
        return [_avatar_session(r) for r in rows]

    async def known_vendor_sessions(self, vendor_ids: list[str]) -> set[str]:
        """Which of these vendor session ids this farm ever recorded."""
        if not vendor_ids:
            return set()
        marks = ",".join("?" for _ in vendor_ids)
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                f"SELECT vendor_session_id FROM avatar_sessions WHERE vendor_session_id IN ({marks})", vendor_ids
            )
        return {row["vendor_session_id"] for row in rows}

    async def open_avatar_sessions(self) -> list[AvatarSession]:
        """Avatar sessions that may still be billed: requested or active."""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT * FROM avatar_sessions WHERE status IN ('requested', 'active') ORDER BY created_at"
            )
        return [_avatar_session(r) for r in rows]

    async def status_counts(self) -> dict[str, dict[str, int]]:
        """How many sessions and rooms are in each status (for /metrics)."""
        async with self.db.snapshot() as reader:
            sessions = await reader.fetchall("SELECT status, COUNT(*) AS n FROM sessions GROUP BY status")
            rooms = await reader.fetchall("SELECT status, COUNT(*) AS n FROM rooms GROUP BY status")
            avatars = await reader.fetchall("SELECT status, COUNT(*) AS n FROM avatar_sessions GROUP BY status")
        return {
            "sessions": {r["status"]: r["n"] for r in sessions},
            "rooms": {r["status"]: r["n"] for r in rooms},
            "avatar_sessions": {r["status"]: r["n"] for r in avatars},
        }

    async def total_usage(self) -> Usage:
        async with self.db.snapshot() as reader:
            row = await reader.fetchone(
                "SELECT COALESCE(SUM(minutes), 0) AS m, COALESCE(SUM(credits), 0) AS c FROM avatar_sessions"
            )
        assert row is not None
        return Usage(float(row["m"]), float(row["c"]))

    # ---- sessions ----------------------------------------------------------------------------------------

    async def create_session(self, new: NewSession) -> tuple[Session, bool]:
        """Store a session with its rooms, all queued. Returns (session, created).

        With an idempotency key seen before: the stored session and created=False when the request is the
        same, IdempotencyConflict when it differs. Nothing is written in either case.
        """
        async with self.db.transaction() as tx:
            if new.idempotency_key is not None:
                existing = await tx.fetchone(
                    "SELECT id, request_hash FROM sessions WHERE idempotency_key = ?", (new.idempotency_key,)
                )
                if existing is not None:
                    if existing["request_hash"] != new.request_hash:
                        raise IdempotencyConflict(new.idempotency_key)
                    session = await self._load_session(tx, existing["id"])
                    assert session is not None
                    return session, False
            session_id = new_id("ses")
            now = tx.now
            await tx.execute(
                """INSERT INTO sessions (id, status, meeting_number, meeting_passcode, meeting_topic,
                       create_meeting, professor, course, idempotency_key, request_hash, created_at, updated_at)
                   VALUES (?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    session_id,
                    new.meeting.number,
                    new.meeting.passcode,
                    new.meeting.topic,
                    int(new.meeting.create),
                    _json(asdict(new.professor)),
                    _json(asdict(new.course)),
                    new.idempotency_key,
                    new.request_hash,
                    now,
                    now,
                ),
            )
            await tx.append_event(
                "session.created",
                session_id=session_id,
                detail={
                    "rooms": len(new.rooms),
                    "meeting": new.meeting.number or "to be created",
                    "professor": new.professor.name,
                },
            )
            for position, room in enumerate(new.rooms):
                room_id = new_id("room")
                await tx.execute(
                    """INSERT INTO rooms (id, session_id, position, name, student, status, created_at, updated_at)
                       VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)""",
                    (room_id, session_id, position, room.name, _json(asdict(room.student)), now, now),
                )
                await tx.append_event(
                    "room.status",
                    session_id=session_id,
                    room_id=room_id,
                    detail={"status": RoomStatus.queued.value, "previous": None, "room": room.name},
                )
            session = await self._load_session(tx, session_id)
        assert session is not None
        return session, True

    async def begin_ending(self, session_id: str, reason: str) -> Session:
        """Mark an active session as ending (its bots are being told to leave)."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE sessions SET status = 'ending', end_reason = ?, updated_at = ? "
                "WHERE id = ? AND status = 'active'",
                (reason, tx.now, session_id),
            )
            if changed:
                await tx.append_event("session.ending", session_id=session_id, detail={"reason": reason})
            session = await self._load_session(tx, session_id)
        if session is None:
            raise NotFound(f"session {session_id}")
        return session

    async def _finish_session_if_done(self, tx: Transaction, session_id: str) -> None:
        row = await tx.fetchone(
            """SELECT s.status, s.end_reason,
                      (SELECT COUNT(*) FROM rooms r WHERE r.session_id = s.id
                           AND r.status NOT IN ('ended', 'failed')) AS open_rooms
               FROM sessions s WHERE s.id = ?""",
            (session_id,),
        )
        if row is None or row["status"] != SessionStatus.ending.value or row["open_rooms"]:
            return
        await tx.execute(
            "UPDATE sessions SET status = 'ended', ended_at = ?, updated_at = ? WHERE id = ?",
            (tx.now, tx.now, session_id),
        )
        await tx.append_event("session.ended", session_id=session_id, detail={"reason": row["end_reason"]})

    # ---- rooms -------------------------------------------------------------------------------------------

    async def set_room_status(
        self,
        room_id: str,
        status: RoomStatus,
        *,
        reason: str | None = None,
        reason_text: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Room:
        """Move a room to `status` (same-status calls are no-ops). Ending the last open room of an
        ending session ends the session, in the same transaction."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone("SELECT session_id, status, live_since FROM rooms WHERE id = ?", (room_id,))
            if row is None:
                raise NotFound(f"room {room_id}")
            previous = RoomStatus(row["status"])
            if previous != status or reason is not None:
                live_since = row["live_since"]
                if status is RoomStatus.live and previous is not RoomStatus.live:
                    live_since = tx.now
                elif status is not RoomStatus.live:
                    live_since = None
                await tx.execute(
                    """UPDATE rooms SET status = ?, reason = ?, reason_text = ?, live_since = ?, updated_at = ?,
                           ended_at = CASE WHEN ? THEN ? ELSE NULL END
                       WHERE id = ?""",
                    (
                        status.value,
                        reason,
                        reason_text,
                        live_since,
                        tx.now,
                        status.terminal,
                        tx.now,
                        room_id,
                    ),
                )
                event_detail: dict[str, Any] = {"status": status.value, "previous": previous.value}
                if reason is not None:
                    event_detail["reason"] = reason
                if reason_text is not None:
                    event_detail["reason_text"] = reason_text
                event_detail.update(detail or {})
                await tx.append_event("room.status", session_id=row["session_id"], room_id=room_id, detail=event_detail)
                if status.terminal:
                    await self._finish_session_if_done(tx, row["session_id"])
            room_row = await tx.fetchone(_ROOM_SELECT + " WHERE r.id = ?", (room_id,))
        assert room_row is not None
        return _room(room_row)

    async def end_open_rooms(self, session_id: str, *, reason: str) -> Session:
        """End every room of the session that has no bot to wait for, and the session with them."""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT id, status FROM rooms WHERE session_id = ? AND status NOT IN ('ended', 'failed')",
                (session_id,),
            )
            for row in rows:
                await tx.execute(
                    "UPDATE rooms SET status = 'ended', reason = ?, live_since = NULL, ended_at = ?, updated_at = ? "
                    "WHERE id = ?",
                    (reason, tx.now, tx.now, row["id"]),
                )
                await tx.append_event(
                    "room.status",
                    session_id=session_id,
                    room_id=row["id"],
                    detail={"status": "ended", "previous": row["status"], "reason": reason},
                )
            await self._finish_session_if_done(tx, session_id)
            session = await self._load_session(tx, session_id)
        if session is None:
            raise NotFound(f"session {session_id}")
        return session

    async def set_room_context(self, room_id: str, text: str) -> Room:
        async with self.db.transaction() as tx:
            row = await tx.fetchone("SELECT session_id FROM rooms WHERE id = ?", (room_id,))
            if row is None:
                raise NotFound(f"room {room_id}")
            await tx.execute("UPDATE rooms SET context_text = ?, updated_at = ? WHERE id = ?", (text, tx.now, room_id))
            await tx.append_event(
                "room.context_updated",
                session_id=row["session_id"],
                room_id=room_id,
                detail={"characters": len(text)},
            )
            room_row = await tx.fetchone(_ROOM_SELECT + " WHERE r.id = ?", (room_id,))
        assert room_row is not None
        return _room(room_row)

    async def append_event(
        self,
        kind: str,
        *,
        session_id: str | None = None,
        room_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Event:
        """Record something that happened without changing state (a command, a console line, a heartbeat note)."""
        async with self.db.transaction() as tx:
            if room_id is not None and session_id is None:
                session_id = await tx.scalar("SELECT session_id FROM rooms WHERE id = ?", (room_id,))
                if session_id is None:
                    raise NotFound(f"room {room_id}")
            return await tx.append_event(kind, session_id=session_id, room_id=room_id, detail=detail)

    async def add_transcript(self, room_id: str, *, speaker: str, role: TranscriptRole, text: str) -> TranscriptLine:
        async with self.db.transaction() as tx:
            session_id = await tx.scalar("SELECT session_id FROM rooms WHERE id = ?", (room_id,))
            if session_id is None:
                raise NotFound(f"room {room_id}")
            await tx.execute(
                "INSERT INTO transcripts (room_id, speaker, role, text, time) VALUES (?, ?, ?, ?, ?)",
                (room_id, speaker, role.value, text, tx.now),
            )
            line_id = int(await tx.scalar("SELECT last_insert_rowid()"))
            await tx.append_event(
                "transcript",
                session_id=session_id,
                room_id=room_id,
                detail={"speaker": speaker, "role": role.value, "text": text, "line_id": line_id},
            )
        return TranscriptLine(line_id, room_id, speaker, role, text, tx.now)

    # ---- bots (one row per browser attempt) --------------------------------------------------------------

    async def start_bot(self, room_id: str, *, node: str) -> Bot:
        async with self.db.transaction() as tx:
            session_id = await tx.scalar("SELECT session_id FROM rooms WHERE id = ?", (room_id,))
            if session_id is None:
                raise NotFound(f"room {room_id}")
            attempt = int(
                await tx.scalar("SELECT COALESCE(MAX(attempt), 0) + 1 FROM bots WHERE room_id = ?", (room_id,))
            )
            bot_id = new_id("bot")
            await tx.execute(
                "INSERT INTO bots (id, room_id, attempt, status, node, started_at) VALUES (?, ?, ?, 'starting', ?, ?)",
                (bot_id, room_id, attempt, node, tx.now),
            )
            await tx.append_event(
                "bot.started",
                session_id=session_id,
                room_id=room_id,
                detail={"bot_id": bot_id, "attempt": attempt, "node": node},
            )
        return Bot(bot_id, room_id, attempt, "starting", node, None, tx.now, None)

    async def finish_bot(self, bot_id: str, *, status: str, end_reason: str | None) -> Bot:
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT b.*, r.session_id FROM bots b JOIN rooms r ON r.id = b.room_id WHERE b.id = ?",
                (bot_id,),
            )
            if row is None:
                raise NotFound(f"bot {bot_id}")
            if row["ended_at"] is None:
                await tx.execute(
                    "UPDATE bots SET status = ?, end_reason = ?, ended_at = ? WHERE id = ?",
                    (status, end_reason, tx.now, bot_id),
                )
                await tx.append_event(
                    "bot.ended",
                    session_id=row["session_id"],
                    room_id=row["room_id"],
                    detail={
                        "bot_id": bot_id,
                        "attempt": row["attempt"],
                        "status": status,
                        "reason": end_reason,
                    },
                )
            updated = await tx.fetchone("SELECT * FROM bots WHERE id = ?", (bot_id,))
        assert updated is not None
        return _bot(updated)

    # ---- avatar sessions (money) -------------------------------------------------------------------------

    async def open_avatar_session(self, room_id: str, *, bot_id: str | None) -> AvatarSession:
        """Record an avatar session before the vendor is asked for it."""
        async with self.db.transaction() as tx:
            session_id = await tx.scalar("SELECT session_id FROM rooms WHERE id = ?", (room_id,))
            if session_id is None:
                raise NotFound(f"room {room_id}")
            avatar_id = new_id("av")
            await tx.execute(
                "INSERT INTO avatar_sessions (id, room_id, bot_id, status, created_at) "
                "VALUES (?, ?, ?, 'requested', ?)",
                (avatar_id, room_id, bot_id, tx.now),
            )
            await tx.append_event(
                "avatar.requested",
                session_id=session_id,
                room_id=room_id,
                detail={"avatar_session_id": avatar_id},
            )
            row = await tx.fetchone("SELECT * FROM avatar_sessions WHERE id = ?", (avatar_id,))
        assert row is not None
        return _avatar_session(row)

    async def avatar_session_started(self, avatar_session_id: str, *, vendor_session_id: str) -> AvatarSession:
        async with self.db.transaction() as tx:
            row = await self._avatar_row(tx, avatar_session_id)
            await tx.execute(
                "UPDATE avatar_sessions SET status = 'active', vendor_session_id = ?, started_at = ? WHERE id = ?",
                (vendor_session_id, tx.now, avatar_session_id),
            )
            await tx.append_event(
                "avatar.started",
                session_id=row["session_id"],
                room_id=row["room_id"],
                detail={"avatar_session_id": avatar_session_id, "vendor_session_id": vendor_session_id},
            )
            updated = await tx.fetchone("SELECT * FROM avatar_sessions WHERE id = ?", (avatar_session_id,))
        assert updated is not None
        return _avatar_session(updated)

    async def record_avatar_usage(self, avatar_session_id: str, *, minutes: float, credits: float) -> AvatarSession:
        """Update the running minutes and credits of an active avatar session (no event: it is a meter)."""
        async with self.db.transaction() as tx:
            await self._avatar_row(tx, avatar_session_id)
            await tx.execute(
                "UPDATE avatar_sessions SET minutes = MAX(minutes, ?), credits = MAX(credits, ?) WHERE id = ?",
                (minutes, credits, avatar_session_id),
            )
            updated = await tx.fetchone("SELECT * FROM avatar_sessions WHERE id = ?", (avatar_session_id,))
        assert updated is not None
        return _avatar_session(updated)

    async def close_avatar_session(
        self,
        avatar_session_id: str,
        *,
        status: AvatarSessionStatus,
        end_reason: str,
        minutes: float | None = None,
        credits: float | None = None,
    ) -> AvatarSession:
        """Close an avatar session once (later calls change nothing)."""
        if status not in (AvatarSessionStatus.stopped, AvatarSessionStatus.failed):
            raise ValueError(f"an avatar session closes as stopped or failed, not {status}")
        async with self.db.transaction() as tx:
            row = await self._avatar_row(tx, avatar_session_id)
            if row["status"] in (AvatarSessionStatus.requested.value, AvatarSessionStatus.active.value):
                await tx.execute(
                    """UPDATE avatar_sessions SET status = ?, end_reason = ?, stopped_at = ?,
                           minutes = MAX(minutes, COALESCE(?, minutes)), credits = MAX(credits, COALESCE(?, credits))
                       WHERE id = ?""",
                    (status.value, end_reason, tx.now, minutes, credits, avatar_session_id),
                )
                await tx.append_event(
                    "avatar.stopped",
                    session_id=row["session_id"],
                    room_id=row["room_id"],
                    detail={
                        "avatar_session_id": avatar_session_id,
                        "status": status.value,
                        "reason": end_reason,
                    },
                )
            updated = await tx.fetchone("SELECT * FROM avatar_sessions WHERE id = ?", (avatar_session_id,))
        assert updated is not None
        return _avatar_session(updated)

    async def _avatar_row(self, tx: Transaction, avatar_session_id: str) -> sqlite3.Row:
        row = await tx.fetchone(
            "SELECT a.*, r.session_id FROM avatar_sessions a JOIN rooms r ON r.id = a.room_id WHERE a.id = ?",
            (avatar_session_id,),
        )
        if row is None:
            raise NotFound(f"avatar session {avatar_session_id}")
        return row

    # ---- the meeting and avatar contexts -------------------------------------------------------------------

    async def set_meeting(self, session_id: str, *, number: str, passcode: str | None) -> Session:
        """Record the meeting created for a session that asked for one."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE sessions SET meeting_number = ?, meeting_passcode = ?, updated_at = ? WHERE id = ?",
                (number, passcode, tx.now, session_id),
            )
            if not changed:
                raise NotFound(f"session {session_id}")
            await tx.append_event("session.meeting_created", session_id=session_id, detail={"meeting": number})
            session = await self._load_session(tx, session_id)
        assert session is not None
        return session

    async def set_avatar_context(self, room_id: str, context_id: str | None) -> None:
        async with self.db.transaction() as tx:
            if not await tx.execute("UPDATE rooms SET avatar_context_id = ? WHERE id = ?", (context_id, room_id)):
                raise NotFound(f"room {room_id}")

    async def open_bots(self) -> list[Bot]:
        """Bot attempts that never recorded an end (their manager died)."""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall("SELECT * FROM bots WHERE ended_at IS NULL ORDER BY started_at")
        return [_bot(r) for r in rows]

    async def avatar_session_assigned(self, avatar_session_id: str, *, vendor_session_id: str) -> AvatarSession:
        """The vendor gave the session its id (a token was minted); it is billed once the page starts it."""
        async with self.db.transaction() as tx:
            await self._avatar_row(tx, avatar_session_id)
            await tx.execute(
                "UPDATE avatar_sessions SET vendor_session_id = ? WHERE id = ?", (vendor_session_id, avatar_session_id)
            )
            updated = await tx.fetchone("SELECT * FROM avatar_sessions WHERE id = ?", (avatar_session_id,))
        assert updated is not None
        return _avatar_session(updated)

    # ---- Zoom OAuth grants (secret) ------------------------------------------------------------------------

    async def save_zoom_grant(
        self,
        *,
        user_id: str,
        email: str | None,
        refresh_token: str,
        access_token: str | None,
        access_expires_at: float | None,
    ) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                """INSERT INTO zoom_grants (user_id, email, refresh_token, access_token, access_expires_at,
                       created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET email = excluded.email,
                       refresh_token = excluded.refresh_token, access_token = excluded.access_token,
                       access_expires_at = excluded.access_expires_at, updated_at = excluded.updated_at""",
                (user_id, email, refresh_token, access_token, access_expires_at, tx.now, tx.now),
            )
            await tx.append_event("zoom.authorized", detail={"user_id": user_id, "email": email})

    async def zoom_grant(self) -> ZoomGrant | None:
        """The most recently updated grant (one professor per server)."""
        async with self.db.snapshot() as reader:
            row = await reader.fetchone("SELECT * FROM zoom_grants ORDER BY updated_at DESC LIMIT 1")
        if row is None:
            return None
        return ZoomGrant(
            user_id=row["user_id"],
            email=row["email"],
            refresh_token=row["refresh_token"],
            access_token=row["access_token"],
            access_expires_at=row["access_expires_at"],
            updated_at=row["updated_at"],
        )

    async def forget_zoom_grant(self, user_id: str) -> bool:
        async with self.db.transaction() as tx:
            removed = await tx.execute("DELETE FROM zoom_grants WHERE user_id = ?", (user_id,))
            if removed:
                await tx.append_event("zoom.forgotten", detail={"user_id": user_id})
        return bool(removed)
