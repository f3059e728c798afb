"""Schema migrations: ordered SQL files in state/sql/, applied one transaction each, tracked by PRAGMA user_version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import aiosqlite

_FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# A migration that rebuilds a table (SQLite's way to change a constraint) says so with this line: it runs with
# foreign keys off, as SQLite's ALTER TABLE procedure asks (else dropping the old table would cascade into the
# rows that reference it), and is checked with PRAGMA foreign_key_check before it commits.
REBUILDS_TABLES = "-- avatarfarm: rebuilds tables (foreign keys off)"


class SchemaError(Exception):
    """The database cannot be brought to this program's schema."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


@cache
def all_migrations() -> tuple[Migration, ...]:
    """Every migration shipped with the package, in order of version. Versions must be unique and start at 1;
    a gap is allowed (files are numbered as they are written, on branches that merge in any order)."""
    found: list[Migration] = []
    for entry in resources.files("state").joinpath("sql").iterdir():
        match = _FILE_PATTERN.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions and versions[0] < 1:
        raise SchemaError("migration files are numbered from 0001")
    duplicated = sorted({v for v in versions if versions.count(v) > 1})
    if duplicated:
        raise SchemaError(f"two migration files are numbered {duplicated[0]:04d}")
    return tuple(found)


def latest_version() -> int:
    migrations = all_migrations()
    return migrations[-1].version if migrations else 0


async def current_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection, target: int | None = None) -> tuple[int, int]:
    """Apply pending migrations up to `target` (default: latest). Returns (version before, version after).

    Each migration and its user_version bump commit together, so a failure leaves the previous version intact.
    """
    migrations = all_migrations()
    latest = latest_version()
    target = latest if target is None else target
    before = await current_version(conn)
    if before > latest:
        raise SchemaError(
            f"the database is at schema version {before}, newer than this avatarfarm ({latest}); "
            "upgrade avatarfarm or use another AVATARFARM_DATA_DIR"
        )
    for migration in [m for m in migrations if before < m.version <= target]:
        if REBUILDS_TABLES in migration.sql:
            await _rebuild(conn, migration)
            continue
        script = f"BEGIN IMMEDIATE;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
        try:
            await conn.executescript(script)
        except Exception as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise SchemaError(f"migration {migration.version:04d}_{migration.name} failed: {exc}") from exc
    return before, await current_version(conn)


async def _rebuild(conn: aiosqlite.Connection, migration: Migration) -> None:
    async with conn.execute("PRAGMA foreign_keys") as cursor:
        row = await cursor.fetchone()
    enforced = bool(row and row[0])
    await conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: set before BEGIN
    try:
        await conn.executescript(f"BEGIN IMMEDIATE;\n{migration.sql}\nPRAGMA user_version = {migration.version};")
        async with conn.execute("PRAGMA foreign_key_check") as cursor:
            broken = await cursor.fetchone()
        if broken is not None:
            raise SchemaError(f"a row of {broken[0]} references a missing row of {broken[2]}")
        await conn.execute("COMMIT")
    except Exception as exc:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        if isinstance(exc, SchemaError):
            raise SchemaError(f"migration {migration.version:04d}_{migration.name} failed: {exc}") from None
        raise SchemaError(f"migration {migration.version:04d}_{migration.name} failed: {exc}") from exc
    finally:
        if enforced:
            await conn.execute("PRAGMA foreign_keys = ON")
