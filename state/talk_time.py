"""The talk meter: when the avatar and the students of a room spoke, from the bot page's speaking signals
(`avatar.talking {talking}`, `student.speaking {speaking}`). A start opens a span, a stop closes the open one.

Like the usage meter these writes append no event: they are frequent, change nothing a professor acts on,
and would push the room's real events out of its timeline. The report sums the spans.
"""

from __future__ import annotations

from dataclasses import dataclass

from state.database import Database

# A span still open after this long lost its stop signal (the avatar or the page went away mid-sentence):
# it counts this long at most, and the next start signal begins a new span.
MAX_SPAN_SECONDS = 120.0

# Page event kind → (role, the detail field that says started or stopped).
SIGNALS = {"avatar.talking": ("avatar", "talking"), "student.speaking": ("student", "speaking")}


@dataclass(frozen=True)
class TalkSpan:
    room_id: str
    role: str
    started_at: float
    ended_at: float | None


async def record_signal(db: Database, room_id: str, kind: str, detail: dict[str, object]) -> None:
    """Record one speaking signal from the page; other kinds are ignored."""
    signal = SIGNALS.get(kind)
    if signal is None:
        return
    role, field = signal
    speaking = bool(detail.get(field))
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "SELECT id, started_at FROM talk_spans WHERE room_id = ? AND role = ? AND ended_at IS NULL "
            "ORDER BY id DESC LIMIT 1",
            (room_id, role),
        )
        open_span = None if row is None else row["id"]
        if speaking and row is not None and tx.now - row["started_at"] > MAX_SPAN_SECONDS:
            await tx.execute(
                "UPDATE talk_spans SET ended_at = ? WHERE id = ?", (row["started_at"] + MAX_SPAN_SECONDS, open_span)
            )
            open_span = None
        if speaking and open_span is None:
            await tx.execute(
                "INSERT INTO talk_spans (room_id, role, started_at) VALUES (?, ?, ?)", (room_id, role, tx.now)
            )
        elif not speaking and open_span is not None:
            await tx.execute("UPDATE talk_spans SET ended_at = ? WHERE id = ?", (tx.now, open_span))


async def spans(db: Database, room_id: str) -> list[TalkSpan]:
    async with db.snapshot() as reader:
        rows = await reader.fetchall(
            "SELECT room_id, role, started_at, ended_at FROM talk_spans WHERE room_id = ? ORDER BY started_at, id",
            (room_id,),
        )
    return [TalkSpan(r["room_id"], r["role"], r["started_at"], r["ended_at"]) for r in rows]


class TalkTimeLog:
    """The talk meter of every room, over one database (Repository.talk_time)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, room_id: str, kind: str, detail: dict[str, object]) -> None:
        await record_signal(self._db, room_id, kind, detail)

    async def spans(self, room_id: str) -> list[TalkSpan]:
        return await spans(self._db, room_id)
