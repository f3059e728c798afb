"""Sessions and their rooms: creation (idempotent), room statuses, ending, meetings and contexts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from state import transitions
from state.database import Database, Reader, Transaction
from state.models import (
    NewSession,
    Room,
    RoomStatus,
    Session,
    SessionStatus,
    Usage,
)
from state.rows import ROOM_SELECT, IdempotencyConflict, NotFound, RoomClosed, json_text, new_id, room_of, session_of
from state.secret_box import ENV_NAME, SecretBoxSlot, SecretKeyError, is_encrypted


class SessionsRepository:
    # Meeting passcodes are stored encrypted with the repository's SecretBox (state/secret_box.py), like the
    # Zoom tokens; the box is given at start-up (Repository.use_secret_box).
    def __init__(self, db: Database, box_slot: SecretBoxSlot) -> None:
        self.db = db
        self._secrets = box_slot

    def _sealed_passcode(self, passcode: str | None) -> str | None:
        if passcode is None or not self._secrets.filled:
            return passcode
        return self._secrets.box.encrypt(passcode)

    def _opened_passcode(self, stored: str | None) -> str | None:
        if stored is None or not is_encrypted(stored):
            return stored
        return self._secrets.box.decrypt(stored)

    async def encrypt_stored_passcodes(self) -> int:
        """Encrypt with the box's first key every meeting passcode stored in plaintext or under an older key;
        returns how many sessions changed. Raises SecretKeyError (one line) when one cannot be decrypted."""
        box = self._secrets.box
        changed = 0
        async with self.db.transaction() as tx:
            await tx.execute("PRAGMA secure_delete = ON")
            rows = await tx.fetchall("SELECT id, meeting_passcode FROM sessions WHERE meeting_passcode IS NOT NULL")
            for row in rows:
                stored = row["meeting_passcode"]
                if box.is_current(stored):
                    continue
                try:
                    plain = box.decrypt(stored)
                except SecretKeyError:
                    raise SecretKeyError(
                        f"stored meeting passcodes cannot be decrypted with the key from {box.source}: put the key "
                        f"they were written with back into {ENV_NAME} (new key first, old keys after, comma-separated)"
                    ) from None
                await tx.execute(
                    "UPDATE sessions SET meeting_passcode = ? WHERE id = ?", (box.encrypt(plain), row["id"])
                )
                changed += 1
        return changed

    async def _load_session(self, reader: Reader, session_id: str) -> Session | None:
        row = await reader.fetchone("SELECT * FROM sessions WHERE id = ?", (session_id,))
        if row is None:
            return None
        rooms = await reader.fetchall(ROOM_SELECT + " WHERE r.session_id = ? ORDER BY r.position", (session_id,))
        passcode = self._opened_passcode(row["meeting_passcode"])
        return session_of(row, tuple(room_of(r) for r in rooms), passcode=passcode)

    async def get(self, session_id: str) -> Session | None:
        async with self.db.snapshot() as reader:
            return await self._load_session(reader, session_id)

    async def require(self, session_id: str) -> Session:
        session = await self.get(session_id)
        if session is None:
            raise NotFound(f"session {session_id}")
        return session

    async def all(
        self, *, status: SessionStatus | None = None, limit: int = 50, owner_id: str | None = None
    ) -> list[Session]:
        """The newest sessions (of `owner_id` only, when given)."""
        clauses, params = [], []
        if status is not None:
            clauses.append("status = ?")
            params.append(status.value)
        if owner_id is not None:
            clauses.append("owner_id = ?")
            params.append(owner_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                f"SELECT id FROM sessions{where} ORDER BY created_at DESC, id LIMIT ?", (*params, limit)
            )
            sessions = [await self._load_session(reader, row["id"]) for row in rows]
        return [s for s in sessions if s is not None]

    async def owner(self, session_id: str) -> str | None:
        """The id of the professor a session belongs to (None: no such session)."""
        async with self.db.snapshot() as reader:
            owner = await reader.scalar("SELECT owner_id FROM sessions WHERE id = ?", (session_id,))
        return None if owner is None else str(owner)

    async def get_room(self, room_id: str) -> Room | None:
        async with self.db.snapshot() as reader:
            row = await reader.fetchone(ROOM_SELECT + " WHERE r.id = ?", (room_id,))
        return None if row is None else room_of(row)

    async def rooms_in_status(self, statuses: tuple[RoomStatus, ...]) -> list[Room]:
        marks = ",".join("?" for _ in statuses)
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                ROOM_SELECT + f" WHERE r.status IN ({marks}) ORDER BY r.created_at, r.position",
                tuple(s.value for s in statuses),
            )
        return [room_of(r) for r in rows]

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

    async def create(self, new: NewSession) -> tuple[Session, bool]:
        """Store a session with its rooms, all queued. Returns (session, created).

        With an idempotency key seen before: the stored session and created=False when the request is the
        same, IdempotencyConflict when it differs. Nothing is written in either case.
        """
        # Keys are per professor: stored as '<owner id>:<key>' (migration 0007).
        stored_key = None if new.idempotency_key is None else f"{new.owner_id}:{new.idempotency_key}"
        async with self.db.transaction() as tx:
            if stored_key is not None:
                existing = await tx.fetchone(
                    "SELECT id, request_hash FROM sessions WHERE idempotency_key = ?", (stored_key,)
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
                       create_meeting, professor, course, idempotency_key, request_hash, created_at, updated_at,
                       owner_id)
                   VALUES (?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    session_id,
                    new.meeting.number,
                    self._sealed_passcode(new.meeting.passcode),
                    new.meeting.topic,
                    int(new.meeting.create),
                    json_text(asdict(new.professor)),
                    json_text(asdict(new.course)),
                    stored_key,
                    new.request_hash,
                    now,
                    now,
                    new.owner_id,
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
                    (room_id, session_id, position, room.name, json_text(asdict(room.student)), now, now),
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

    async def set_room_status(
        self,
        room_id: str,
        status: RoomStatus,
        *,
        reason: str | None = None,
        reason_text: str | None = None,
        detail: dict[str, Any] | None = None,
        reopen: bool = False,
    ) -> Room:
        """Move a room to `status` (same-status calls are no-ops). Ending the last open room of an
        ending session ends the session, in the same transaction.

        An ended or failed room stays closed (RoomClosed) unless `reopen` is given, and even then only while its
        session is active: a bot launched while the session was being ended can never bring it back. Any other
        change state/transitions.py does not allow raises IllegalTransition; nothing is written then."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT r.session_id, r.status, r.live_since, s.status AS session_status "
                "FROM rooms r JOIN sessions s ON s.id = r.session_id WHERE r.id = ?",
                (room_id,),
            )
            if row is None:
                raise NotFound(f"room {room_id}")
            previous = RoomStatus(row["status"])
            if previous.terminal and not status.terminal:
                if not reopen or row["session_status"] != SessionStatus.active.value:
                    raise RoomClosed(f"room {room_id} is {previous.value}")
            transitions.check_room(previous, status, reopen=reopen)
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
            room_row = await tx.fetchone(ROOM_SELECT + " WHERE r.id = ?", (room_id,))
        assert room_row is not None
        return room_of(room_row)

    async def end_open_rooms(self, session_id: str, *, reason: str) -> Session:
        """End every room of the session that has no bot to wait for, and the session with them."""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT id, status FROM rooms WHERE session_id = ? AND status NOT IN ('ended', 'failed')",
                (session_id,),
            )
            for row in rows:
                transitions.check_room(RoomStatus(row["status"]), RoomStatus.ended)
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
            room_row = await tx.fetchone(ROOM_SELECT + " WHERE r.id = ?", (room_id,))
        assert room_row is not None
        return room_of(room_row)

    async def set_meeting(self, session_id: str, *, number: str, passcode: str | None) -> Session:
        """Record the meeting created for a session that asked for one."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE sessions SET meeting_number = ?, meeting_passcode = ?, updated_at = ? WHERE id = ?",
                (number, self._sealed_passcode(passcode), tx.now, session_id),
            )
            if not changed:
                raise NotFound(f"session {session_id}")
            await tx.append_event("session.meeting_created", session_id=session_id, detail={"meeting": number})
            session = await self._load_session(tx, session_id)
        assert session is not None
        return session

    async def contexts_to_delete(self, session_id: str | None = None) -> list[tuple[str, str]]:
        """(room id, LiveAvatar context id) of every room of an ended session (of `session_id` only, when given)
        that still names a context at LiveAvatar."""
        query = (
            "SELECT r.id, r.avatar_context_id FROM rooms r JOIN sessions s ON s.id = r.session_id "
            "WHERE s.status = 'ended' AND r.avatar_context_id IS NOT NULL"
        )
        params: tuple[str, ...] = ()
        if session_id is not None:
            query += " AND s.id = ?"
            params = (session_id,)
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(query, params)
        return [(row["id"], row["avatar_context_id"]) for row in rows]

    async def set_avatar_context(self, room_id: str, context_id: str | None) -> None:
        async with self.db.transaction() as tx:
            if not await tx.execute("UPDATE rooms SET avatar_context_id = ? WHERE id = ?", (context_id, room_id)):
                raise NotFound(f"room {room_id}")
