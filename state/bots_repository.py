"""Bots: one row per browser attempt for a room."""

from __future__ import annotations

from state.database import Database
from state.models import (
    Bot,
)
from state.rows import NotFound, bot_of, new_id
from state.transitions import BotStatus, check_bot_end


class BotsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def in_room(self, room_id: str) -> list[Bot]:
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall("SELECT * FROM bots WHERE room_id = ? ORDER BY attempt", (room_id,))
        return [bot_of(r) for r in rows]

    async def start(self, room_id: str, *, node: str) -> Bot:
        async with self.db.transaction() as tx:
            session_id = await tx.scalar("SELECT session_id FROM rooms WHERE id = ?", (room_id,))
            if session_id is None:
                raise NotFound(f"room {room_id}")
            attempt = int(
                await tx.scalar("SELECT COALESCE(MAX(attempt), 0) + 1 FROM bots WHERE room_id = ?", (room_id,))
            )
            bot_id = new_id("bot")
            await tx.execute(
                "INSERT INTO bots (id, room_id, attempt, status, node, started_at) VALUES (?, ?, ?, ?, ?, ?)",
                (bot_id, room_id, attempt, BotStatus.starting.value, node, tx.now),
            )
            await tx.append_event(
                "bot.started",
                session_id=session_id,
                room_id=room_id,
                detail={"bot_id": bot_id, "attempt": attempt, "node": node},
            )
        return Bot(bot_id, room_id, attempt, BotStatus.starting.value, node, None, tx.now, None)

    async def finish(self, bot_id: str, *, status: str, end_reason: str | None) -> Bot:
        """End a bot as `status` (ended, stopped or lost: IllegalTransition otherwise); a second end changes
        nothing."""
        end = check_bot_end(status)
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
                    (end.value, end_reason, tx.now, bot_id),
                )
                await tx.append_event(
                    "bot.ended",
                    session_id=row["session_id"],
                    room_id=row["room_id"],
                    detail={
                        "bot_id": bot_id,
                        "attempt": row["attempt"],
                        "status": end.value,
                        "reason": end_reason,
                    },
                )
            updated = await tx.fetchone("SELECT * FROM bots WHERE id = ?", (bot_id,))
        assert updated is not None
        return bot_of(updated)

    async def unfinished(self) -> list[Bot]:
        """Bot attempts that never recorded an end (their manager died)."""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall("SELECT * FROM bots WHERE ended_at IS NULL ORDER BY started_at")
        return [bot_of(r) for r in rows]
