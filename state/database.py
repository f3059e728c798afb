"""The SQLite connections: one writer serialised by a lock, one reader seeing only committed data, WAL on.

Writes go through `transaction()`, which also collects the events appended inside it and publishes them
to the event bus only after COMMIT, so no listener ever sees a change that was rolled back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from state import webhook_outbox
from state.event_bus import EventBus
from state.migrations import SchemaError, current_version, latest_version, migrate
from state.models import Event

BUSY_TIMEOUT_MS = 10_000

Params = Sequence[Any] | dict[str, Any]


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA synchronous = NORMAL")
    return conn


async def _settled(conn: aiosqlite.Connection, statement: str, *, only_in_transaction: bool = False) -> None:
    """Run a transaction-control statement to its end even if the caller is cancelled meanwhile.

    aiosqlite runs statements on its own thread: a cancelled await does not stop the statement, so without
    this a cancellation could leave the connection inside a transaction nobody will finish.
    """
    if only_in_transaction and not conn.in_transaction:
        return
    task = asyncio.ensure_future(conn.execute(statement))
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(sqlite3.Error, ValueError):  # its own failure: the caller's cancellation wins
            await task
        raise


class Reader:
    """Read-only access inside a consistent snapshot."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        async with self._conn.execute(sql, params) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


class Transaction(Reader):
    """A write transaction; `append_event` records an event that commits (or rolls back) with it."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        super().__init__(conn)
        self.events: list[Event] = []
        self.now = time.time()

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        async with self._conn.execute(sql, params) as cursor:
            return int(cursor.rowcount)

    async def executemany(self, sql: str, params: Iterable[Params]) -> None:
        await self._conn.executemany(sql, params)

    async def append_event(
        self,
        kind: str,
        *,
        session_id: str | None = None,
        room_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Event:
        detail = detail or {}
        async with self._conn.execute(
            "INSERT INTO events (time, session_id, room_id, kind, detail) VALUES (?, ?, ?, ?, ?)",
            (self.now, session_id, room_id, kind, json.dumps(detail, separators=(",", ":"))),
        ) as cursor:
            event_id = cursor.lastrowid
        assert event_id is not None
        event = Event(event_id, self.now, session_id, room_id, kind, detail)
        self.events.append(event)
        await webhook_outbox.enqueue(self, event)  # the webhook message commits (or rolls back) with the event
        return event


class Database:
    """Owns the connections to one SQLite file. Open with `Database.open(path)`."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()
        self.bus = EventBus()

    @classmethod
    async def open(cls, path: Path, *, apply_migrations: bool = True) -> Database:
        """Open (creating if needed) the database at `path`, migrated to the latest schema by default.

        Without `apply_migrations`, a database that is not at the latest version is refused.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        try:
            if apply_migrations:
                await migrate(writer)
            version = await current_version(writer)
            if version != latest_version():
                raise SchemaError(
                    f"the database is at schema version {version}, this avatarfarm needs {latest_version()}: "
                    "run `avatarfarm db migrate`"
                )
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        self.bus.close_all()
        await self._reader.close()
        await self._writer.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN IMMEDIATE … COMMIT on the writer; rolls back whole on any exception, cancellation included."""
        async with self._write_lock:
            await _settled(self._writer, "ROLLBACK", only_in_transaction=True)
            await _settled(self._writer, "BEGIN IMMEDIATE")
            tx = Transaction(self._writer)
            try:
                yield tx
                await _settled(self._writer, "COMMIT")
            except BaseException:
                await _settled(self._writer, "ROLLBACK", only_in_transaction=True)
                raise
        if tx.events:
            self.bus.publish(tx.events)

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Reader]:
        """A consistent read of committed data (a deferred read transaction on the reader connection)."""
        async with self._read_lock:
            await _settled(self._reader, "ROLLBACK", only_in_transaction=True)
            await _settled(self._reader, "BEGIN")
            try:
                yield Reader(self._reader)
            finally:
                await _settled(self._reader, "COMMIT", only_in_transaction=True)

    async def schema_version(self) -> int:
        async with self.snapshot() as reader:
            return int(await reader.scalar("PRAGMA user_version"))
