"""A fresh database per test, and a sample session request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from state.database import Database
from state.models import Course, Meeting, NewRoom, NewSession, Professor, Student
from state.repository import Repository


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "test.sqlite3")
    yield database
    await database.close()


@pytest.fixture
def repo(db: Database) -> Repository:
    return Repository(db)


# A session row written with plain SQL, for tests that work below the repository.
RAW_SESSION_INSERT = (
    "INSERT INTO sessions (id, status, meeting_number, professor, course, created_at, updated_at) "
    "VALUES (?, 'active', '123456789', ?, ?, 0, 0)"
)
RAW_PROFESSOR = '{"name": "P", "avatar_id": "a"}'
RAW_COURSE = '{"name": "C"}'


def sample_session(rooms: int = 3, **overrides: object) -> NewSession:
    fields: dict[str, object] = {
        "meeting": Meeting(number="85746065432", passcode="abc123"),
        "professor": Professor(name="Ada Lovelace", avatar_id="dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"),
        "course": Course(name="Analytical Engines", context="Notes on the engine."),
        "rooms": tuple(NewRoom(f"Room {i + 1}", Student(f"Student {i + 1}")) for i in range(rooms)),
    }
    fields.update(overrides)
    return NewSession(**fields)  # type: ignore[arg-type]
