"""A room's whole transcript (for exports and reports), and the writes of transcript reconciliation: lines
filled in from the vendor's transcript after an avatar session ended, with the session marked reconciled in
the same transaction (so a line is never added twice by two sweeps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from state.database import Database
from state.models import TranscriptLine, TranscriptRole
from state.rows import transcript_of

VENDOR_SOURCE = "vendor"


@dataclass(frozen=True)
class ClosedAvatarSession:
    """An avatar session that ended and whose transcript has not been reconciled yet."""

    id: str
    room_id: str
    session_id: str
    vendor_session_id: str
    professor_name: str
    started_at: float
    stopped_at: float


@dataclass(frozen=True)
class NewLine:
    speaker: str
    role: TranscriptRole
    text: str
    time: float


async def room_transcript(
    db: Database, room_id: str, *, since: float | None = None, until: float | None = None
) -> list[TranscriptLine]:
    """Every line of the room in the order it was said (time, then arrival), optionally within [since, until]."""
    clauses: list[str] = ["room_id = ?"]
    params: list[Any] = [room_id]
    if since is not None:
        clauses.append("time >= ?")
        params.append(since)
    if until is not None:
        clauses.append("time <= ?")
        params.append(until)
    async with db.snapshot() as reader:
        rows = await reader.fetchall(
            f"SELECT * FROM transcripts WHERE {' AND '.join(clauses)} ORDER BY time, id", params
        )
    return [transcript_of(r) for r in rows]


async def unreconciled(db: Database, *, stopped_before: float) -> list[ClosedAvatarSession]:
    """Ended avatar sessions with a vendor session whose transcript was not reconciled yet."""
    async with db.snapshot() as reader:
        rows = await reader.fetchall(
            """SELECT a.id, a.room_id, r.session_id, a.vendor_session_id,
                      json_extract(s.professor, '$.name') AS professor_name,
                      COALESCE(a.started_at, a.created_at) AS started_at, a.stopped_at
               FROM avatar_sessions a JOIN rooms r ON r.id = a.room_id JOIN sessions s ON s.id = r.session_id
               WHERE a.status IN ('stopped', 'failed') AND a.vendor_session_id IS NOT NULL
                 AND a.transcript_reconciled_at IS NULL AND a.stopped_at <= ?
               ORDER BY a.stopped_at""",
            (stopped_before,),
        )
    return [
        ClosedAvatarSession(
            r["id"],
            r["room_id"],
            r["session_id"],
            r["vendor_session_id"],
            r["professor_name"],
            r["started_at"],
            r["stopped_at"],
        )
        for r in rows
    ]


async def record_reconciliation(
    db: Database, avatar: ClosedAvatarSession, lines: list[NewLine], *, vendor_lines: int, note: str
) -> list[TranscriptLine]:
    """Add the missing lines and mark the avatar session reconciled, in one transaction (once only)."""
    added: list[TranscriptLine] = []
    async with db.transaction() as tx:
        marked = await tx.execute(
            "UPDATE avatar_sessions SET transcript_reconciled_at = ?, transcript_reconcile_note = ? "
            "WHERE id = ? AND transcript_reconciled_at IS NULL",
            (tx.now, note, avatar.id),
        )
        if not marked:
            return []
        for line in lines:
            await tx.execute(
                "INSERT INTO transcripts (room_id, speaker, role, text, time, source) VALUES (?, ?, ?, ?, ?, ?)",
                (avatar.room_id, line.speaker, line.role.value, line.text, line.time, VENDOR_SOURCE),
            )
            line_id = int(await tx.scalar("SELECT last_insert_rowid()"))
            await tx.append_event(
                "transcript",
                session_id=avatar.session_id,
                room_id=avatar.room_id,
                detail={
                    "speaker": line.speaker,
                    "role": line.role.value,
                    "text": line.text,
                    "line_id": line_id,
                    "time": line.time,
                    "source": VENDOR_SOURCE,
                },
            )
            added.append(
                TranscriptLine(line_id, avatar.room_id, line.speaker, line.role, line.text, line.time, VENDOR_SOURCE)
            )
        await tx.append_event(
            "transcript.reconciled",
            session_id=avatar.session_id,
            room_id=avatar.room_id,
            detail={
                "avatar_session_id": avatar.id,
                "vendor_lines": vendor_lines,
                "added": len(lines),
                "note": note,
            },
        )
    return added


class TranscriptLog:
    """Rooms' whole transcripts and their reconciliation, over one database (Repository.transcript_log)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def room(
        self, room_id: str, *, since: float | None = None, until: float | None = None
    ) -> list[TranscriptLine]:
        return await room_transcript(self._db, room_id, since=since, until=until)

    async def unreconciled(self, *, stopped_before: float) -> list[ClosedAvatarSession]:
        return await unreconciled(self._db, stopped_before=stopped_before)

    async def record_reconciliation(
        self, avatar: ClosedAvatarSession, lines: list[NewLine], *, vendor_lines: int, note: str
    ) -> list[TranscriptLine]:
        return await record_reconciliation(self._db, avatar, lines, vendor_lines=vendor_lines, note=note)
