"""Repository: whole transactions, events with every change, idempotency, constraints, concurrent writers."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from state.database import Database
from state.models import AvatarSessionStatus, NewRoom, RoomStatus, SessionStatus, Student, TranscriptRole
from state.repository import IdempotencyConflict, NotFound, Repository, RoomClosed
from tests.state.conftest import RAW_COURSE, RAW_PROFESSOR, RAW_SESSION_INSERT, sample_session


async def _row_counts(db: Database) -> dict[str, int]:
    async with db.snapshot() as reader:
        return {
            table: int(await reader.scalar(f"SELECT COUNT(*) FROM {table}"))
            for table in ("sessions", "rooms", "bots", "avatar_sessions", "events", "transcripts")
        }


async def test_create_session_stores_rooms_queued_with_events(repo: Repository, db: Database) -> None:
    subscription = db.bus.subscribe()
    session, created = await repo.sessions.create(sample_session(rooms=3))
    assert created
    assert session.status is SessionStatus.active
    assert [r.name for r in session.rooms] == ["Room 1", "Room 2", "Room 3"]
    assert {r.status for r in session.rooms} == {RoomStatus.queued}
    events = await repo.events.all(session_id=session.id)
    assert [e.kind for e in events] == ["session.created"] + ["room.status"] * 3
    published = [await asyncio.wait_for(subscription.get(), 1) for _ in events]
    assert [e.id for e in published if e] == [e.id for e in events]
    assert await repo.sessions.get(session.id) == session


async def test_a_failed_transaction_rolls_back_whole_and_publishes_nothing(repo: Repository, db: Database) -> None:
    subscription = db.bus.subscribe()
    before = await _row_counts(db)
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.execute(RAW_SESSION_INSERT, ("ses_x", RAW_PROFESSOR, RAW_COURSE))
            await tx.append_event("session.created", session_id="ses_x")
            raise RuntimeError("boom")
    assert await _row_counts(db) == before
    assert subscription._queue.empty()


async def test_a_constraint_violation_mid_session_stores_nothing(repo: Repository, db: Database) -> None:
    before = await _row_counts(db)
    clash = replace(sample_session(), rooms=(NewRoom("Lab", Student("A")), NewRoom("LAB", Student("B"))))
    with pytest.raises(sqlite3.IntegrityError):
        await repo.sessions.create(clash)
    assert await _row_counts(db) == before


async def test_idempotency_key_returns_the_same_session_or_conflicts(repo: Repository, db: Database) -> None:
    request = replace(sample_session(), idempotency_key="k-1", request_hash="h-1")
    first, created = await repo.sessions.create(request)
    counts = await _row_counts(db)
    again, created_again = await repo.sessions.create(request)
    assert created and not created_again
    assert again.id == first.id
    with pytest.raises(IdempotencyConflict):
        await repo.sessions.create(replace(request, request_hash="h-2"))
    assert await _row_counts(db) == counts


async def test_room_status_changes_set_live_since_and_end_the_session(repo: Repository) -> None:
    session, _ = await repo.sessions.create(sample_session(rooms=2))
    first, second = session.rooms
    await repo.sessions.set_room_status(first.id, RoomStatus.starting)  # a bot first: the table
    live = await repo.sessions.set_room_status(first.id, RoomStatus.live)
    assert live.live_since is not None
    assert (await repo.sessions.set_room_status(first.id, RoomStatus.live)).live_since == live.live_since
    ending = await repo.sessions.begin_ending(session.id, "professor ended the session")
    assert ending.status is SessionStatus.ending
    await repo.sessions.set_room_status(first.id, RoomStatus.ended, reason="left")
    assert (await repo.sessions.require(session.id)).status is SessionStatus.ending
    failed = await repo.sessions.set_room_status(
        second.id, RoomStatus.failed, reason="kicked", reason_text="Kicked by host"
    )
    assert failed.ended_at is not None and failed.live_since is None
    done = await repo.sessions.require(session.id)
    assert done.status is SessionStatus.ended and done.ended_at is not None
    kinds = [e.kind for e in await repo.events.all(session_id=session.id)]
    assert kinds[-1] == "session.ended"
    assert kinds.count("room.status") == 2 + 4  # two queued, starting, live, ended, failed


async def test_an_ended_or_failed_room_reopens_only_when_asked_and_only_in_an_active_session(
    repo: Repository,
) -> None:
    session, _ = await repo.sessions.create(sample_session(rooms=2))
    first, second = session.rooms
    await repo.sessions.set_room_status(first.id, RoomStatus.failed, reason="kicked")
    with pytest.raises(RoomClosed):  # a late write from a bot that was still on its way
        await repo.sessions.set_room_status(first.id, RoomStatus.starting)
    assert (await repo.sessions.get_room(first.id)).status is RoomStatus.failed  # type: ignore[union-attr]
    reopened = await repo.sessions.set_room_status(
        first.id, RoomStatus.recovering, reason="restart_requested", reopen=True
    )
    assert reopened.status is RoomStatus.recovering and reopened.ended_at is None

    await repo.sessions.begin_ending(session.id, "professor ended the session")
    ended = await repo.sessions.end_open_rooms(session.id, reason="session_ended")
    assert ended.status is SessionStatus.ended
    for room in (first, second):
        with pytest.raises(RoomClosed):
            await repo.sessions.set_room_status(room.id, RoomStatus.joining, reopen=True)
    assert {r.status for r in (await repo.sessions.require(session.id)).rooms} == {RoomStatus.ended}


async def test_end_open_rooms_ends_every_room_and_the_session(repo: Repository) -> None:
    session, _ = await repo.sessions.create(sample_session(rooms=3))
    await repo.sessions.begin_ending(session.id, "professor ended the session")
    ended = await repo.sessions.end_open_rooms(session.id, reason="no bot was running")
    assert ended.status is SessionStatus.ended
    assert {r.status for r in ended.rooms} == {RoomStatus.ended}


async def test_events_are_append_only(repo: Repository, db: Database) -> None:
    await repo.sessions.create(sample_session(rooms=1))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction() as tx:
            await tx.execute("UPDATE events SET kind = 'tampered'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction() as tx:
            await tx.execute("DELETE FROM events")


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO rooms (id, session_id, position, name, student, status, created_at, updated_at) "
                "VALUES ('room_x', 'ses_missing', 0, 'R', '{}', 'queued', 0, 0)"
            )


async def test_readers_never_see_an_uncommitted_write(repo: Repository, db: Database) -> None:
    seen: list[object] = []
    async with db.transaction() as tx:
        await tx.execute(RAW_SESSION_INSERT, ("ses_pending", RAW_PROFESSOR, RAW_COURSE))
        seen.append(await repo.sessions.get("ses_pending"))
    seen.append(await repo.sessions.get("ses_pending"))
    assert seen[0] is None and seen[1] is not None


async def test_bots_avatar_sessions_and_usage(repo: Repository) -> None:
    session, _ = await repo.sessions.create(sample_session(rooms=1))
    room = session.rooms[0]
    bot1 = await repo.bots.start(room.id, node="local")
    bot2 = await repo.bots.start(room.id, node="local")
    assert (bot1.attempt, bot2.attempt) == (1, 2)
    await repo.bots.finish(bot1.id, status="stopped", end_reason="crashed")
    again = await repo.bots.finish(bot1.id, status="ended", end_reason="late")
    assert again.status == "stopped" and again.end_reason == "crashed"
    avatar = await repo.avatars.open(room.id, bot_id=bot2.id)
    assert avatar.status is AvatarSessionStatus.requested
    assert [a.id for a in await repo.avatars.unclosed()] == [avatar.id]
    await repo.avatars.started(avatar.id, vendor_session_id="vendor-1")
    assert (await repo.sessions.get_room(room.id)).avatar_live  # type: ignore[union-attr]
    await repo.avatars.record_usage(avatar.id, minutes=1.5, credits=4)
    closed = await repo.avatars.close(
        avatar.id, status=AvatarSessionStatus.stopped, end_reason="USER_CLOSED", minutes=2.0
    )
    assert (closed.minutes, closed.credits, closed.status) == (2.0, 4.0, AvatarSessionStatus.stopped)
    reclosed = await repo.avatars.close(avatar.id, status=AvatarSessionStatus.failed, end_reason="late")
    assert reclosed.status is AvatarSessionStatus.stopped
    assert await repo.avatars.unclosed() == []
    refreshed = await repo.sessions.require(session.id)
    assert refreshed.usage.minutes == 2.0 and refreshed.usage.credits == 4.0
    assert not refreshed.rooms[0].avatar_live


async def test_transcripts_and_unknown_ids(repo: Repository) -> None:
    session, _ = await repo.sessions.create(sample_session(rooms=1))
    room = session.rooms[0]
    await repo.transcripts.add(room.id, speaker="Student 1", role=TranscriptRole.student, text="Why?")
    await repo.transcripts.add(room.id, speaker="Ada", role=TranscriptRole.avatar, text="What do you think?")
    assert [line.text for line in await repo.transcripts.in_room(room.id)] == ["Why?", "What do you think?"]
    with pytest.raises(NotFound):
        await repo.sessions.set_room_status("room_missing", RoomStatus.live)
    with pytest.raises(NotFound):
        await repo.transcripts.add("room_missing", speaker="x", role=TranscriptRole.student, text="x")
    assert await repo.sessions.get("ses_missing") is None


async def test_many_concurrent_writers_on_one_database(repo: Repository) -> None:
    session, _ = await repo.sessions.create(sample_session(rooms=1))
    room = session.rooms[0]
    await asyncio.gather(*(repo.events.append("room.command", room_id=room.id, detail={"n": n}) for n in range(100)))
    events = await repo.events.all(room_id=room.id, limit=1000)
    numbers = sorted(e.detail["n"] for e in events if e.kind == "room.command")
    assert numbers == list(range(100))
    ids = [e.id for e in events]
    assert ids == sorted(set(ids))


_WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from state.database import Database
    from state.repository import Repository

    async def main(path, room_id, tag):
        db = await Database.open(Path(path))
        repo = Repository(db)
        for n in range(60):
            await repo.events.append("room.command", room_id=room_id, detail={"tag": tag, "n": n})
        await db.close()

    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
    """
)


async def test_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    db = await Database.open(path)
    repo = Repository(db)
    session, _ = await repo.sessions.create(sample_session(rooms=1))
    room_id = session.rooms[0].id
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _WRITER, str(path), room_id, tag, stderr=subprocess.PIPE
        )
        for tag in ("a", "b", "c")
    ]
    # Write from this process at the same time.
    for n in range(60):
        await repo.events.append("room.command", room_id=room_id, detail={"tag": "main", "n": n})
    for proc in procs:
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
    events = [e for e in await repo.events.all(room_id=room_id, limit=10_000) if e.kind == "room.command"]
    by_tag: dict[str, list[int]] = {}
    for event in events:
        by_tag.setdefault(event.detail["tag"], []).append(event.detail["n"])
    assert {tag: sorted(ns) for tag, ns in by_tag.items()} == {t: list(range(60)) for t in ("a", "b", "c", "main")}
    await db.close()


async def test_a_lagging_listener_is_cut_off_not_blocking(repo: Repository, db: Database) -> None:
    slow = db.bus.subscribe(maxsize=2)
    session, _ = await repo.sessions.create(sample_session(rooms=3))
    assert slow.lagged and slow.closed
    assert db.bus.listeners == 0
    # What it had queued is dropped (it resumes from the log by id), and it stays closed.
    assert await slow.get() is None
    assert await slow.get() is None
    other = db.bus.subscribe(session_id="ses_other")
    await repo.events.append("note", session_id=session.id)
    assert other._queue.empty()


@pytest.mark.parametrize("delay_steps", [0, 1, 2, 3, 5])
async def test_a_cancelled_reader_or_writer_leaves_no_transaction_open(
    repo: Repository, db: Database, delay_steps: int
) -> None:
    async def write() -> None:
        async with db.transaction() as tx:
            await tx.scalar("SELECT 1")
            await asyncio.sleep(0.05)

    async def read() -> None:
        async with db.snapshot() as reader:
            await reader.scalar("SELECT 1")
            await asyncio.sleep(0.05)

    for job in (write, read):
        task = asyncio.create_task(job())
        for _ in range(delay_steps):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await write()
    await read()
    session, _ = await repo.sessions.create(sample_session(rooms=1))
    assert await repo.sessions.get(session.id) is not None
