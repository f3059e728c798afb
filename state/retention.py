"""How long what students said is kept. A session that ended more than AVATARFARM_RETENTION_DAYS ago (180 by
default) loses everything it held about its students: transcripts, talk spans, events (the timeline and what
its report is built from) with their webhook messages, and each room's student name, notes and instructions.
What remains is what the money needs: the session, its rooms by name, its bots and avatar sessions with their
minutes and credits. The server applies this at start-up and every few hours; `avatarfarm db prune` applies
it too. Deleted rows are overwritten (secure_delete), not left in the file's free pages."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

from state.database import Database

log = logging.getLogger("avatarfarm.state")

# How often a running server applies the retention period (and once at start-up).
EVERY_SECONDS = 6 * 3600
# A room's student after the retention period: no name, no notes.
FORGOTTEN_STUDENT = json.dumps({"name": "(removed after the retention period)", "background": ""})
BATCH = 5000

_OLD = "SELECT id FROM sessions WHERE status = 'ended' AND COALESCE(ended_at, updated_at) < ?"
_OLD_ROOMS = f"SELECT id FROM rooms WHERE session_id IN ({_OLD})"


@dataclass(frozen=True)
class Forgotten:
    sessions: int  # whose students' data went now
    transcripts: int
    events: int
    talk_spans: int
    webhook_messages: int

    @property
    def anything(self) -> bool:
        return bool(self.sessions or self.transcripts or self.events or self.talk_spans or self.webhook_messages)


async def forget_ended_before(db: Database, *, ended_before: float) -> Forgotten:
    """Delete what students said and who they were, for sessions that ended before `ended_before` (UNIX time).
    Works in batches, so a running server is held up for one batch at a time only."""
    counts = {"transcripts": 0, "events": 0, "talk_spans": 0, "webhook_messages": 0}
    deletions = (
        (
            "webhook_messages",
            f"SELECT id FROM webhook_messages WHERE event_id IN (SELECT id FROM events WHERE session_id IN ({_OLD}))",
        ),
        ("transcripts", f"SELECT id FROM transcripts WHERE room_id IN ({_OLD_ROOMS})"),
        ("talk_spans", f"SELECT id FROM talk_spans WHERE room_id IN ({_OLD_ROOMS})"),
        ("events", f"SELECT id FROM events WHERE session_id IN ({_OLD})"),
    )
    for table, rows in deletions:
        while True:
            async with db.transaction() as tx:
                await tx.execute("PRAGMA secure_delete = ON")
                batch = await tx.execute(f"DELETE FROM {table} WHERE id IN ({rows} LIMIT ?)", (ended_before, BATCH))
            counts[table] += batch
            if batch < BATCH:
                break
    async with db.transaction() as tx:
        await tx.execute("PRAGMA secure_delete = ON")
        sessions = await tx.scalar(
            f"SELECT COUNT(DISTINCT session_id) FROM rooms WHERE session_id IN ({_OLD}) AND student != ?",
            (ended_before, FORGOTTEN_STUDENT),
        )
        await tx.execute(
            f"""UPDATE rooms SET student = ?, context_text = NULL
                WHERE session_id IN ({_OLD}) AND (student != ? OR context_text IS NOT NULL)""",
            (FORGOTTEN_STUDENT, ended_before, FORGOTTEN_STUDENT),
        )
    return Forgotten(sessions=int(sessions or 0), **counts)


async def keep_retention(db: Database, days: float, *, every: float = EVERY_SECONDS) -> None:
    """Apply the retention period now and every `every` seconds, for as long as the server runs."""
    while True:
        try:
            forgotten = await forget_ended_before(db, ended_before=time.time() - days * 86400)
            if forgotten.anything:
                log.info(
                    "retention (%g days): removed the students' data of %d session(s): %d transcript lines, %d events",
                    days,
                    forgotten.sessions,
                    forgotten.transcripts,
                    forgotten.events,
                )
        except Exception:  # the next round tries again; nothing here costs money
            log.exception("retention pass failed")
        await asyncio.sleep(every)
