"""`avatarfarm db prune`'s store side: old events of ended sessions go (their reports read the same), a session
that has not ended keeps everything (the database itself refuses), and avatar sessions are found by room
through an index."""

from __future__ import annotations

import sqlite3
import time

import pytest

from state.database import Database
from state.models import RoomStatus
from state.reports import session_report
from state.repository import Repository
from tests.state.conftest import sample_session


async def _session_with_noise(repo: Repository, *, end: bool) -> str:
    session, _ = await repo.sessions.create(sample_session(rooms=2))
    for room in session.rooms:
        await repo.sessions.set_room_status(room.id, RoomStatus.starting)  # a bot first: the table
        await repo.sessions.set_room_status(room.id, RoomStatus.live)
        for i in range(30):
            await repo.events.append("bot.page.console", room_id=room.id, detail={"text": f"line {i}"})
        await repo.events.append("avatar.dropped", room_id=room.id, detail={"reason": "vendor"})
    if end:
        await repo.sessions.begin_ending(session.id, "professor")
        await repo.sessions.end_open_rooms(session.id, reason="session_ended")
    return session.id


async def _kinds(db: Database, session_id: str) -> list[str]:
    async with db.snapshot() as reader:
        rows = await reader.fetchall("SELECT kind FROM events WHERE session_id = ? ORDER BY id", (session_id,))
    return [row["kind"] for row in rows]


async def test_old_events_of_ended_sessions_go_and_their_reports_stay_the_same(db: Database, repo: Repository) -> None:
    ended = await _session_with_noise(repo, end=True)
    live = await _session_with_noise(repo, end=False)
    now = time.time()
    report_before = await session_report(db, await repo.sessions.require(ended), now=now)
    live_before = await _kinds(db, live)

    # Ended a moment ago: not older than the cut-off of a day ago, nothing goes.
    nothing = await repo.events.prune(ended_before=time.time() - 86400)
    assert (nothing.sessions, nothing.events) == (0, 0)

    result = await repo.events.prune(ended_before=time.time() + 1)
    assert result.sessions == 1 and result.events >= 60
    assert result.webhook_messages >= 1  # session.ended's, no webhook receiver being configured
    left = await _kinds(db, ended)
    assert "bot.page.console" not in left and "session.ended" not in left
    assert set(left) == {"room.status", "avatar.dropped"} and result.kept == len(left)
    assert await _kinds(db, live) == live_before  # a running session keeps every event
    assert await session_report(db, await repo.sessions.require(ended), now=now) == report_before
    again = await repo.events.prune(ended_before=time.time() + 1)
    assert (again.sessions, again.events) == (1, 0)


async def test_the_database_refuses_to_delete_events_of_a_session_that_has_not_ended(
    db: Database, repo: Repository
) -> None:
    live = await _session_with_noise(repo, end=False)
    with pytest.raises(sqlite3.IntegrityError, match="append-only until their session has ended"):
        async with db.transaction() as tx:
            await tx.execute("DELETE FROM events WHERE session_id = ?", (live,))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction() as tx:
            await tx.execute("UPDATE events SET kind = 'x' WHERE session_id = ?", (live,))
    assert len(await _kinds(db, live)) > 60


async def test_avatar_sessions_are_looked_up_by_room_through_an_index(db: Database) -> None:
    async with db.snapshot() as reader:
        plan = await reader.fetchall("EXPLAIN QUERY PLAN SELECT * FROM avatar_sessions WHERE room_id = ?", ("r",))
    details = " ".join(row["detail"] for row in plan)
    assert "USING INDEX avatar_sessions_by_room" in details, details


async def test_an_event_a_webhook_receiver_has_yet_to_get_is_kept(db: Database, repo: Repository) -> None:
    ended = await _session_with_noise(repo, end=True)
    result = await repo.events.prune(ended_before=time.time() + 1, webhook_urls=["http://receiver.test/hook"])
    assert result.webhook_messages == 0
    assert "session.ended" in await _kinds(db, ended)
    assert "bot.page.console" not in await _kinds(db, ended)
