"""Avatar sessions: written before LiveAvatar is called, closed with their minutes and credits on every exit."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from state import allowances
from state.database import Database, Transaction
from state.models import (
    AvatarSession,
    AvatarSessionStatus,
)
from state.rows import NotFound, avatar_session_of, new_id


class AvatarSessionsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def in_room(self, room_id: str) -> list[AvatarSession]:
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT * FROM avatar_sessions WHERE room_id = ? ORDER BY created_at, id", (room_id,)
            )
        return [avatar_session_of(r) for r in rows]

    async def known_vendor_sessions(self, vendor_ids: list[str]) -> dict[str, str]:
        """Which of these vendor session ids this farm ever recorded, each with its room."""
        if not vendor_ids:
            return {}
        marks = ",".join("?" for _ in vendor_ids)
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                f"SELECT vendor_session_id, room_id FROM avatar_sessions WHERE vendor_session_id IN ({marks})",
                vendor_ids,
            )
        return {row["vendor_session_id"]: row["room_id"] for row in rows}

    async def unclosed(self) -> list[AvatarSession]:
        """Avatar sessions that may still be billed: requested or active."""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT * FROM avatar_sessions WHERE status IN ('requested', 'active') ORDER BY created_at"
            )
        return [avatar_session_of(r) for r in rows]

    async def open(
        self, room_id: str, *, bot_id: str | None, why: str | None = None, humans: Sequence[str] = ()
    ) -> AvatarSession:
        """Record an avatar session before the vendor is asked for it, with the one `avatar.requested` event: why
        the page asked and who was in its room."""
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
                detail={"avatar_session_id": avatar_id, "why": why, "humans": list(humans)[:20]},
            )
            row = await tx.fetchone("SELECT * FROM avatar_sessions WHERE id = ?", (avatar_id,))
        assert row is not None
        return avatar_session_of(row)

    async def started(self, avatar_session_id: str, *, vendor_session_id: str) -> AvatarSession:
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
        return avatar_session_of(updated)

    async def record_usage(self, avatar_session_id: str, *, minutes: float, credits: float) -> AvatarSession:
        """Update the running minutes and credits of an active avatar session (no event: it is a meter)."""
        async with self.db.transaction() as tx:
            before = await self._avatar_row(tx, avatar_session_id)
            await tx.execute(
                "UPDATE avatar_sessions SET minutes = MAX(minutes, ?), credits = MAX(credits, ?) WHERE id = ?",
                (minutes, credits, avatar_session_id),
            )
            await allowances.note_usage(tx, avatar_session_id, float(before["credits"]))
            updated = await tx.fetchone("SELECT * FROM avatar_sessions WHERE id = ?", (avatar_session_id,))
        assert updated is not None
        return avatar_session_of(updated)

    async def close(
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
                await allowances.note_usage(tx, avatar_session_id, float(row["credits"]))
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
        return avatar_session_of(updated)

    async def _avatar_row(self, tx: Transaction, avatar_session_id: str) -> sqlite3.Row:
        row = await tx.fetchone(
            "SELECT a.*, r.session_id FROM avatar_sessions a JOIN rooms r ON r.id = a.room_id WHERE a.id = ?",
            (avatar_session_id,),
        )
        if row is None:
            raise NotFound(f"avatar session {avatar_session_id}")
        return row

    async def assigned(self, avatar_session_id: str, *, vendor_session_id: str) -> AvatarSession:
        """The vendor gave the session its id (a token was minted); it is billed once the page starts it."""
        async with self.db.transaction() as tx:
            await self._avatar_row(tx, avatar_session_id)
            await tx.execute(
                "UPDATE avatar_sessions SET vendor_session_id = ? WHERE id = ?", (vendor_session_id, avatar_session_id)
            )
            updated = await tx.fetchone("SELECT * FROM avatar_sessions WHERE id = ?", (avatar_session_id,))
        assert updated is not None
        return avatar_session_of(updated)
