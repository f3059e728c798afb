"""What the manager wrote down, read straight from its SQLite database (read-only, beside the running manager):
the rooms, every bot attempt, every avatar session and every room status change of one class session."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

OPEN_AVATAR_STATUSES = ("requested", "active")


@dataclass(frozen=True)
class BotRow:
    id: str
    room: str
    attempt: int
    status: str
    end_reason: str | None
    started_at: float
    ended_at: float | None


@dataclass(frozen=True)
class AvatarRow:
    id: str
    room: str
    vendor_session_id: str | None
    status: str
    stopped_at: float | None
    end_reason: str | None


@dataclass(frozen=True)
class StatusChange:
    room: str
    time: float
    status: str


@dataclass(frozen=True)
class Ledger:
    rooms: dict[str, str]  # room id -> name
    bots: list[BotRow]
    avatars: list[AvatarRow]
    changes: list[StatusChange]

    def open_bots(self) -> dict[str, int]:
        """Bot attempts with no end recorded, per room name (0 included)."""
        counts = Counter(bot.room for bot in self.bots if bot.ended_at is None)
        return {name: counts.get(name, 0) for name in self.rooms.values()}

    def open_avatars(self) -> list[AvatarRow]:
        return [row for row in self.avatars if row.status in OPEN_AVATAR_STATUSES or row.stopped_at is None]

    def active_vendor_ids(self) -> set[str]:
        return {row.vendor_session_id for row in self.avatars if row.status == "active" and row.vendor_session_id}

    def vendor_ids(self) -> set[str]:
        return {row.vendor_session_id for row in self.avatars if row.vendor_session_id}

    def duplicate_vendor_ids(self) -> list[str]:
        counts = Counter(row.vendor_session_id for row in self.avatars if row.vendor_session_id)
        return sorted(vendor for vendor, n in counts.items() if n > 1)

    def first_live_after(self, room: str, moment: float) -> float | None:
        return self.first_status_after(room, "live", moment)

    def first_status_after(self, room: str, status: str, moment: float) -> float | None:
        times = [c.time for c in self.changes if c.room == room and c.status == status and c.time >= moment]
        return min(times) if times else None


def _read(database: Path, session_id: str) -> Ledger:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        connection.row_factory = sqlite3.Row
        rooms = {
            row["id"]: row["name"]
            for row in connection.execute(
                "SELECT id, name FROM rooms WHERE session_id = ? ORDER BY position", (session_id,)
            )
        }
        marks = ",".join("?" * len(rooms))
        ids = tuple(rooms)
        bots = [
            BotRow(
                r["id"], rooms[r["room_id"]], r["attempt"], r["status"], r["end_reason"], r["started_at"], r["ended_at"]
            )
            for r in connection.execute(f"SELECT * FROM bots WHERE room_id IN ({marks}) ORDER BY started_at", ids)
        ]
        avatars = [
            AvatarRow(
                r["id"], rooms[r["room_id"]], r["vendor_session_id"], r["status"], r["stopped_at"], r["end_reason"]
            )
            for r in connection.execute(
                f"SELECT * FROM avatar_sessions WHERE room_id IN ({marks}) ORDER BY created_at", ids
            )
        ]
        changes = [
            StatusChange(rooms[r["room_id"]], r["time"], json.loads(r["detail"]).get("status", ""))
            for r in connection.execute(
                f"SELECT room_id, time, detail FROM events WHERE kind = 'room.status' AND room_id IN ({marks}) "
                "ORDER BY id",
                ids,
            )
        ]
    finally:
        connection.close()
    return Ledger(rooms, bots, avatars, changes)


async def read_ledger(database: Path, session_id: str) -> Ledger:
    return await asyncio.to_thread(_read, database, session_id)
