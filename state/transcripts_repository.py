"""Transcript lines of a room, as they are said."""

from __future__ import annotations

from state.database import Database
from state.models import (
    TranscriptLine,
    TranscriptRole,
)
from state.rows import NotFound, transcript_of


class TranscriptsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def in_room(self, room_id: str, *, limit: int = 200) -> list[TranscriptLine]:
        """The room's latest transcript lines, oldest first."""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT * FROM (SELECT * FROM transcripts WHERE room_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
                (room_id, limit),
            )
        return [transcript_of(r) for r in rows]

    async def add(self, room_id: str, *, speaker: str, role: TranscriptRole, text: str) -> TranscriptLine:
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
