"""The event log: appended with every change, read back for the timeline and the event stream."""

from __future__ import annotations

from typing import Any

from state.database import Database
from state.models import (
    Event,
)
from state.rows import NotFound, event_of


class EventsRepository:
    db: Database

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
        return [event_of(r) for r in rows]

    async def recent_events(self, *, room_id: str, limit: int = 100) -> list[Event]:
        """The room's latest events, oldest first."""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT * FROM (SELECT * FROM events WHERE room_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
                (room_id, limit),
            )
        return [event_of(r) for r in rows]

    async def last_event_id(self) -> int:
        async with self.db.snapshot() as reader:
            return int(await reader.scalar("SELECT COALESCE(MAX(id), 0) FROM events"))

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
