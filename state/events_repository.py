"""The event log: appended with every change, read back for the timeline and the event stream, and pruned
for sessions that ended long ago (`avatarfarm db prune`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from state.database import Database, Transaction
from state.models import (
    Event,
)
from state.rows import NotFound, event_of

# What a session's report is built from (state/reports.py): kept when a session's events are pruned, so its
# report reads the same afterwards. They are a few per room; the bulk (console lines, page errors, avatar
# notes, commands) goes.
REPORT_EVENT_KINDS = ("room.status", "avatar.dropped", "avatar.stopped")
PRUNE_BATCH = 5000


@dataclass(frozen=True)
class PruneResult:
    sessions: int  # ended before the cut-off
    events: int  # deleted
    webhook_messages: int  # deleted (delivered, or no receiver configured)
    kept: int  # of those sessions, kept for their reports or still in the webhook outbox


class EventsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(
        self,
        *,
        after_id: int = 0,
        session_id: str | None = None,
        room_id: str | None = None,
        limit: int = 500,
        owner_id: str | None = None,
    ) -> list[Event]:
        """Events after `after_id`, oldest first; with `owner_id`, only those of that professor's sessions."""
        clauses = ["id > ?"]
        params: list[Any] = [after_id]
        if owner_id is not None:
            clauses.append("session_id IN (SELECT id FROM sessions WHERE owner_id = ?)")
            params.append(owner_id)
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
        return [event_of(r) for r in rows]

    async def recent(self, *, room_id: str, limit: int = 100) -> list[Event]:
        """The room's latest events, oldest first."""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT * FROM (SELECT * FROM events WHERE room_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
                (room_id, limit),
            )
        return [event_of(r) for r in rows]

    async def last_id(self) -> int:
        async with self.db.snapshot() as reader:
            return int(await reader.scalar("SELECT COALESCE(MAX(id), 0) FROM events"))

    async def append(
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

    async def prune(self, *, ended_before: float, webhook_urls: Sequence[str] = ()) -> PruneResult:
        """Delete the events of sessions that ended before `ended_before` (UNIX time), except those their
        reports are built from, with the webhook messages of those events that every receiver in
        `webhook_urls` is done with (all of them when there is none). An event whose message a receiver
        still has to get stays. Sessions that have not ended keep everything (the database refuses
        otherwise). Deletes in batches, so a running server is held up for one batch at a time only."""
        old = "SELECT id FROM sessions WHERE status = 'ended' AND COALESCE(ended_at, updated_at) < ?"
        marks = ",".join("?" for _ in REPORT_EVENT_KINDS)
        prunable = (
            f"session_id IN ({old}) AND kind NOT IN ({marks}) AND id NOT IN (SELECT event_id FROM webhook_messages)"
        )
        params = (ended_before, *REPORT_EVENT_KINDS)
        messages = 0
        async with self.db.transaction() as tx:
            done = await _delivered_through(tx, webhook_urls)
            if done:
                messages = await tx.execute(
                    "DELETE FROM webhook_messages WHERE id <= ? AND event_id IN "
                    f"(SELECT id FROM events WHERE session_id IN ({old}) AND kind NOT IN ({marks}))",
                    (done, *params),
                )
        deleted = 0
        while True:
            async with self.db.transaction() as tx:
                batch = await tx.execute(
                    f"DELETE FROM events WHERE id IN (SELECT id FROM events WHERE {prunable} LIMIT ?)",
                    (*params, PRUNE_BATCH),
                )
            deleted += batch
            if batch < PRUNE_BATCH:
                break
        async with self.db.snapshot() as reader:
            sessions = int(await reader.scalar(f"SELECT COUNT(*) FROM ({old})", (ended_before,)))
            kept = int(await reader.scalar(f"SELECT COUNT(*) FROM events WHERE session_id IN ({old})", (ended_before,)))
        return PruneResult(sessions=sessions, events=deleted, webhook_messages=messages, kept=kept)


async def _delivered_through(tx: Transaction, urls: Sequence[str]) -> int:
    """The last webhook message every receiver is done with (any message, with no receiver configured)."""
    if not urls:
        return int(await tx.scalar("SELECT COALESCE(MAX(id), 0) FROM webhook_messages"))
    marks = ",".join("?" for _ in urls)
    row = await tx.fetchone(
        f"SELECT COUNT(*) AS n, MIN(delivered_through) AS done FROM webhook_cursors WHERE url IN ({marks})", urls
    )
    if row is None or row["n"] < len(urls):  # a receiver has not started yet
        return 0
    return int(row["done"])
