"""Migrations: from empty, from every earlier version, atomic failure, refusal of newer or stale databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from state import migrations
from state.database import Database
from state.migrations import Migration, SchemaError, all_migrations, current_version, latest_version, migrate
from tests.state.conftest import RAW_COURSE, RAW_PROFESSOR, RAW_SESSION_INSERT


async def _schema(path: Path) -> list[tuple[str, str]]:
    async with aiosqlite.connect(path) as conn:
        async with conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        ) as cursor:
            return [(row[0], row[1]) for row in await cursor.fetchall()]


def test_migration_files_are_numbered_in_order_from_one() -> None:
    found = all_migrations()
    assert found, "no migrations shipped"
    versions = [m.version for m in found]
    assert versions[0] == 1 and versions == sorted(set(versions))
    assert latest_version() == versions[-1]


EARLIER_VERSIONS = [0, *(m.version for m in all_migrations()[:-1])]


async def test_a_gap_in_the_numbering_is_skipped_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gapped = (
        Migration(1, "first", "CREATE TABLE one (x INTEGER);"),
        Migration(2, "second", "CREATE TABLE two (x INTEGER);"),
        Migration(5, "fifth", "CREATE TABLE five (x INTEGER);"),
    )
    monkeypatch.setattr(migrations, "all_migrations", lambda: gapped)
    assert latest_version() == 5
    async with aiosqlite.connect(tmp_path / "gap.sqlite3", isolation_level=None) as conn:
        assert await migrate(conn, target=2) == (0, 2)
        assert await migrate(conn) == (2, 5)
        assert await migrate(conn) == (5, 5)
        async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") as cursor:
            assert [row[0] for row in await cursor.fetchall()] == ["five", "one", "two"]


async def test_from_empty_creates_every_table_with_pragmas(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "fresh.sqlite3")
    try:
        assert await db.schema_version() == latest_version()
        async with db.snapshot() as reader:
            tables = {r[0] for r in await reader.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
            journal = await reader.scalar("PRAGMA journal_mode")
            foreign_keys = await reader.scalar("PRAGMA foreign_keys")
        assert {"sessions", "rooms", "bots", "avatar_sessions", "events", "transcripts"} <= tables
        assert journal == "wal"
        assert foreign_keys == 1
    finally:
        await db.close()


@pytest.mark.parametrize("start", EARLIER_VERSIONS)
async def test_from_every_earlier_version_reaches_the_same_schema(tmp_path: Path, start: int) -> None:
    reference = tmp_path / "reference.sqlite3"
    await (await Database.open(reference)).close()
    old = tmp_path / f"from_v{start}.sqlite3"
    async with aiosqlite.connect(old, isolation_level=None) as conn:
        before, after = await migrate(conn, target=start)
        assert (before, after) == (0, start)
    db = await Database.open(old)
    try:
        assert await db.schema_version() == latest_version()
    finally:
        await db.close()
    assert await _schema(old) == await _schema(reference)


async def test_data_written_at_an_older_version_survives(tmp_path: Path) -> None:
    path = tmp_path / "data.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await migrate(conn, target=1)
        await conn.execute(RAW_SESSION_INSERT, ("ses_old", RAW_PROFESSOR, RAW_COURSE))
    db = await Database.open(path)
    try:
        async with db.snapshot() as reader:
            assert await reader.scalar("SELECT meeting_number FROM sessions WHERE id = 'ses_old'") == "123456789"
    finally:
        await db.close()


async def test_a_failing_migration_leaves_the_previous_version_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "broken.sqlite3"
    await (await Database.open(path)).close()
    shipped = latest_version()
    broken = Migration(
        shipped + 1,
        "broken",
        "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);",
    )
    monkeypatch.setattr(migrations, "all_migrations", lambda: (*all_migrations(), broken))
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        with pytest.raises(SchemaError, match="broken"):
            await migrate(conn)
        assert await current_version(conn) == shipped
        async with conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'") as cursor:
            row = await cursor.fetchone()
        assert row is not None and row[0] == 0
        assert not conn.in_transaction


async def test_a_database_from_a_newer_avatarfarm_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    await (await Database.open(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    with pytest.raises(SchemaError, match="newer than this avatarfarm"):
        await Database.open(path)


async def test_an_unmigrated_database_is_refused_without_auto_migration(tmp_path: Path) -> None:
    path = tmp_path / "stale.sqlite3"
    with pytest.raises(SchemaError, match="avatarfarm db migrate"):
        await Database.open(path, apply_migrations=False)
