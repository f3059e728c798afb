"""Migration 0007 (professors): what existed before belongs to the admin, and nothing is lost on the way —
course materials are rebuilt with their owner, and their passages, index and pins stay."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from state.database import Database
from state.migrations import migrate
from state.professors_repository import ADMIN_ID
from state.repository import Repository
from tests.state.conftest import RAW_COURSE, RAW_PROFESSOR, sample_session

BEFORE_PROFESSORS = 6
HASH = "a" * 64


async def _version_6_database(path: Path) -> None:
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute("PRAGMA foreign_keys = ON")  # as the server's connections have it
        await migrate(conn, target=BEFORE_PROFESSORS)
        await conn.execute(
            "INSERT INTO sessions (id, status, meeting_number, professor, course, idempotency_key, request_hash, "
            "created_at, updated_at) VALUES ('ses_old', 'active', '123456789', ?, ?, 'retry-1', 'h', 0, 0)",
            (RAW_PROFESSOR, RAW_COURSE),
        )
        await conn.execute(
            "INSERT INTO rooms (id, session_id, position, name, student, status, created_at, updated_at) "
            "VALUES ('room_old', 'ses_old', 0, 'Room 1', '{\"name\": \"S\"}', 'queued', 0, 0)"
        )
        await conn.execute(
            "INSERT INTO materials (id, course, filename, kind, sha256, size, units, created_at) "
            "VALUES ('mat_old', 'C', 'notes.txt', 'text', ?, 10, 1, 0)",
            (HASH,),
        )
        await conn.execute(
            "INSERT INTO passages (material_id, ordinal, location, text) "
            "VALUES ('mat_old', 0, NULL, 'Recursion needs a base case.')"
        )
        passage = (await (await conn.execute("SELECT id FROM passages")).fetchone())[0]  # type: ignore[index]
        await conn.execute(
            "INSERT INTO room_pins (room_id, passage_id, pinned_at) VALUES ('room_old', ?, 0)", (passage,)
        )


async def test_an_existing_database_migrates_with_everything_owned_by_the_admin(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    await _version_6_database(path)
    db = await Database.open(path)
    try:
        repository = Repository(db)
        session = await repository.sessions.get("ses_old")
        assert session is not None and session.owner_id == ADMIN_ID
        [material] = await repository.materials.all()
        assert material.id == "mat_old" and material.owner_id == ADMIN_ID
        # The rebuilt table kept its passages, their full-text index and the pin on the room.
        found = await repository.materials.search_passages("C", ["base"], owner_id=ADMIN_ID)
        assert [f.passage.text for f in found] == ["Recursion needs a base case."]
        assert [p.text for p in await repository.materials.pinned_passages("room_old")] == [
            "Recursion needs a base case."
        ]
        assert await repository.materials.search_passages("C", ["base"], owner_id="prof_other") == []
        async with db.snapshot() as reader:
            assert await reader.fetchall("PRAGMA foreign_key_check") == []
            assert await reader.scalar("PRAGMA foreign_keys") == 1
        admin = await repository.professors.get(ADMIN_ID)
        assert admin is not None and admin.is_admin and admin.enabled
    finally:
        await db.close()


async def test_idempotency_keys_are_per_professor(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "state.sqlite3")
    try:
        repository = Repository(db)
        professor, _ = await repository.professors.add(
            name="Prof. Bea", email="bea@example.edu", token_name="first", token_digest="b" * 64
        )
        mine, created = await repository.sessions.create(sample_session(idempotency_key="k", request_hash="h"))
        assert created and mine.owner_id == ADMIN_ID
        # The same key and body from another professor is their own new session, not a replay of the admin's.
        theirs, created = await repository.sessions.create(
            sample_session(idempotency_key="k", request_hash="h", owner_id=professor.id)
        )
        assert created and theirs.id != mine.id and theirs.owner_id == professor.id
        again, created = await repository.sessions.create(
            sample_session(idempotency_key="k", request_hash="h", owner_id=professor.id)
        )
        assert not created and again.id == theirs.id
    finally:
        await db.close()
