"""Schema migrations: ordered SQL files in state/sql/, applied one transaction each, tracked by PRAGMA user_version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import aiosqlite

_FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SchemaError(Exception):
    """The database cannot be brought to this program's schema."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


@cache
def all_migrations() -> tuple[Migration, ...]:
    """Every migration shipped with the package, in order; versions must be 1, 2, 3, … with no gaps."""
    found: list[Migration] = []
    for entry in resources.files("state").joinpath("sql").iterdir():
        match = _FILE_PATTERN.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise SchemaError(
                f"migration files are not numbered 1..N: expected {expected:04d}, found {migration.version:04d}"
            )
    return tuple(found)


def latest_version() -> int:
    return len(all_migrations())


async def current_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection, target: int | None = None) -> tuple[int, int]:
    """Apply pending migrations up to `target` (default: latest). Returns (version before, version after).

    Each migration and its user_version bump commit together, so a failure leaves the previous version intact.
    """
    migrations = all_migrations()
    target = len(migrations) if target is None else target
    before = await current_version(conn)
    if before > len(migrations):
        raise SchemaError(
            f"the database is at schema version {before}, newer than this avatarfarm ({len(migrations)}); "
            "upgrade avatarfarm or use another AVATARFARM_DATA_DIR"
        )
    for migration in migrations[before:target]:
        script = f"BEGIN IMMEDIATE;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
        try:
            await conn.executescript(script)
        except Exception as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise SchemaError(f"migration {migration.version:04d}_{migration.name} failed: {exc}") from exc
    return before, await current_version(conn)
