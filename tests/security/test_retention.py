"""Students' data is kept only for the retention period: after it, a session's transcripts, talk spans,
events and webhook messages are gone and its rooms no longer name their students; the money record stays.
Sessions still running or ended recently keep everything. The server applies it at start-up, and
`avatarfarm db prune` applies it too."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from api.app import create_app
from state import inspection
from state.database import Database
from state.models import RoomStatus, TranscriptRole
from state.repository import Repository
from state.retention import forget_ended_before
from tests.api.conftest import RecordingFarm, make_settings
from tests.state.conftest import sample_session
from tests.support.polling import until

DAY = 86400.0


async def _class(repo: Repository, *, student: str, ended_days_ago: float | None) -> str:
    session, _ = await repo.sessions.create(sample_session(rooms=1))
    room = session.rooms[0]
    await repo.sessions.set_room_status(room.id, RoomStatus.starting)  # a bot first: the transition table
    await repo.sessions.set_room_status(room.id, RoomStatus.live)
    await repo.transcripts.add(room.id, speaker=student, role=TranscriptRole.student, text=f"{student} asks why")
    await repo.talk_time.record(room.id, "student.speaking", {"speaking": True})
    await repo.events.append("avatar.requested", room_id=room.id, detail={"humans": [student]})
    avatar = await repo.avatars.open(room.id, bot_id=None)
    await repo.avatars.record_usage(avatar.id, minutes=3.0, credits=1.5)
    if ended_days_ago is not None:
        await repo.sessions.begin_ending(session.id, "professor")
        await repo.sessions.end_open_rooms(session.id, reason="session_ended")
        await inspection.backdate_ended(repo, session.id, time.time() - ended_days_ago * DAY)
    return session.id


def _student_data(database: Path, session_id: str) -> dict[str, int | str]:
    with sqlite3.connect(database) as conn:
        rooms = "SELECT id FROM rooms WHERE session_id = ?"
        return {
            "transcripts": conn.execute(
                f"SELECT COUNT(*) FROM transcripts WHERE room_id IN ({rooms})", (session_id,)
            ).fetchone()[0],
            "talk_spans": conn.execute(
                f"SELECT COUNT(*) FROM talk_spans WHERE room_id IN ({rooms})", (session_id,)
            ).fetchone()[0],
            "events": conn.execute("SELECT COUNT(*) FROM events WHERE session_id = ?", (session_id,)).fetchone()[0],
            "student": conn.execute("SELECT student FROM rooms WHERE session_id = ?", (session_id,)).fetchone()[0],
            "credits": conn.execute(
                f"SELECT COALESCE(SUM(credits), 0) FROM avatar_sessions WHERE room_id IN ({rooms})", (session_id,)
            ).fetchone()[0],
        }


async def test_after_the_retention_period_the_students_data_is_gone_and_the_money_stays(tmp_path: Path) -> None:
    database = tmp_path / "af.sqlite3"
    db = await Database.open(database)
    try:
        repo = Repository(db)
        old = await _class(repo, student="Grace Hopper", ended_days_ago=200)
        recent = await _class(repo, student="Alan Turing", ended_days_ago=10)
        running = await _class(repo, student="Ada Byron", ended_days_ago=None)
        forgotten = await forget_ended_before(db, ended_before=time.time() - 180 * DAY)
        assert forgotten.sessions == 1 and forgotten.transcripts == 1 and forgotten.events > 0
    finally:
        await db.close()
    gone = _student_data(database, old)
    assert gone["transcripts"] == gone["talk_spans"] == gone["events"] == 0
    assert "Grace" not in str(gone["student"])
    assert gone["credits"] == 1.5
    assert b"Grace Hopper" not in database.read_bytes()
    for kept in (recent, running):
        data = _student_data(database, kept)
        assert data["transcripts"] == 1 and data["talk_spans"] == 1 and int(data["events"]) > 0


async def test_the_server_applies_the_retention_period_at_start_up(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, retention_days=30)
    settings.data_dir.mkdir(parents=True)
    db = await Database.open(settings.database_path)
    try:
        old = await _class(Repository(db), student="Grace Hopper", ended_days_ago=31)
    finally:
        await db.close()
    app = create_app(settings, farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with app.router.lifespan_context(app):

        async def forgotten() -> bool:
            return _student_data(settings.database_path, old)["transcripts"] == 0

        await until(forgotten, 10, "the start-up retention pass")


async def _old_class_in(data: Path) -> str:
    db = await Database.open(data / "avatarfarm.sqlite3")
    try:
        return await _class(Repository(db), student="Grace Hopper", ended_days_ago=8)
    finally:
        await db.close()


def test_db_prune_applies_the_retention_period(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir()
    old = asyncio.run(_old_class_in(data))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARFARM_")}
    env["AVATARFARM_RETENTION_DAYS"] = "7"
    said = subprocess.run(
        [sys.executable, "-m", "api.cli", "db", "--data-dir", str(data), "prune"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert said.returncode == 0, said.stderr
    assert said.stdout.startswith("retention (7 days, AVATARFARM_RETENTION_DAYS): removed the students' data of 1 ")
    assert _student_data(data / "avatarfarm.sqlite3", old)["transcripts"] == 0
