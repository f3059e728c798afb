"""Looks into the stored rows for tests and benchmarks, never for the product: what a test must see that no
repository method shows (a table's row count, a digest or a sealed secret as stored, the webhook messages
written with a change) or must set that no product path sets (a clock moved back). Tests go through here
rather than reaching for the repository's database connection, so the SQL stays in state/
(tests/unit/test_database_boundary.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from state.database import Params, Transaction
from state.repository import Repository


async def rows(repository: Repository, sql: str, params: Params = ()) -> list[sqlite3.Row]:
    async with repository._db.snapshot() as reader:
        return await reader.fetchall(sql, params)


async def scalar(repository: Repository, sql: str, params: Params = ()) -> Any:
    async with repository._db.snapshot() as reader:
        return await reader.scalar(sql, params)


async def row_counts(repository: Repository, tables: Iterable[str]) -> dict[str, int]:
    async with repository._db.snapshot() as reader:
        return {table: int(await reader.scalar(f"SELECT COUNT(*) FROM {table}")) for table in tables}


@asynccontextmanager
async def transaction(repository: Repository) -> AsyncIterator[Transaction]:
    """A write of the test's own (committed, with its events, or rolled back with them as the product's are)."""
    async with repository._db.transaction() as tx:
        yield tx


async def backdate_live(repository: Repository, room_id: str, seconds: float) -> None:
    """Pretend the room went live `seconds` earlier, and its bot joined five minutes before that."""
    async with repository._db.transaction() as tx:
        await tx.execute("UPDATE rooms SET live_since = live_since - ? WHERE id = ?", (seconds, room_id))
        await tx.execute("UPDATE bots SET started_at = started_at - ? WHERE room_id = ?", (seconds + 300, room_id))


async def backdate_ended(repository: Repository, session_id: str, ended_at: float) -> None:
    """Pretend the session ended at `ended_at` (for retention and pruning)."""
    async with repository._db.transaction() as tx:
        await tx.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (ended_at, session_id))
