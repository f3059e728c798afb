"""Course materials: uploaded files and their passages, searched with SQLite's FTS5 (bm25); the passages a
professor pinned to a room; and the passages each avatar session was given."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from state.database import Database, Reader
from state.models import GivenPassage, Material, MaterialKind, Passage
from state.professors_repository import ADMIN_ID
from state.rows import NotFound, new_id

# Longest excerpt kept of a given passage (the record of what an avatar knew, not a copy of the course).
EXCERPT_CHARS = 160

_MATERIAL = """
SELECT m.*, (SELECT count(*) FROM passages p WHERE p.material_id = m.id) AS passage_count FROM materials m
"""
_PASSAGE = (
    "SELECT p.id, p.material_id, m.filename, p.location, p.text FROM passages p "
    "JOIN materials m ON m.id = p.material_id"
)


@dataclass(frozen=True)
class ScoredPassage:
    passage: Passage
    score: float  # bm25: lower is more relevant


def _material(row: sqlite3.Row) -> Material:
    return Material(
        id=row["id"],
        course=row["course"],
        filename=row["filename"],
        kind=MaterialKind(row["kind"]),
        sha256=row["sha256"],
        size=row["size"],
        units=row["units"],
        passages=row["passage_count"],
        created_at=row["created_at"],
        owner_id=row["owner_id"],
    )


def _passage(row: sqlite3.Row) -> Passage:
    return Passage(
        id=row["id"],
        material_id=row["material_id"],
        filename=row["filename"],
        location=row["location"],
        text=row["text"],
    )


def fts_query(terms: Sequence[str]) -> str:
    """Any of `terms`, each quoted so that no word is read as FTS5 syntax (NEAR, AND, a column name, *)."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[: limit - 1].rstrip() + "…"


class MaterialsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- materials ---------------------------------------------------------------------------------------

    async def add(
        self,
        *,
        owner_id: str,
        course: str,
        filename: str,
        kind: MaterialKind,
        sha256: str,
        size: int,
        units: int,
        passages: Sequence[tuple[str | None, str]],
    ) -> tuple[Material, bool]:
        """Store a material of professor `owner_id` with its passages (location, text); the same file again for
        the same course of the same professor (by hash) is not stored twice: then the one stored is returned
        with False."""
        async with self.db.transaction() as tx:
            existing = await tx.scalar(
                "SELECT id FROM materials WHERE owner_id = ? AND course = ? COLLATE NOCASE AND sha256 = ?",
                (owner_id, course, sha256),
            )
            if existing is not None:
                material = await self._material_in(tx, existing)
                assert material is not None
                return material, False
            material_id = new_id("mat")
            await tx.execute(
                "INSERT INTO materials (id, owner_id, course, filename, kind, sha256, size, units, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (material_id, owner_id, course, filename, kind.value, sha256, size, units, tx.now),
            )
            await tx.executemany(
                "INSERT INTO passages (material_id, ordinal, location, text) VALUES (?, ?, ?, ?)",
                [(material_id, i, location, text) for i, (location, text) in enumerate(passages)],
            )
            await tx.append_event(
                "material.added",
                detail={"material_id": material_id, "course": course, "filename": filename, "passages": len(passages)},
            )
            material = await self._material_in(tx, material_id)
        assert material is not None
        return material, True

    async def _material_in(self, reader: Reader, material_id: str) -> Material | None:
        row = await reader.fetchone(_MATERIAL + " WHERE m.id = ?", (material_id,))
        return None if row is None else _material(row)

    async def get(self, material_id: str) -> Material | None:
        async with self.db.snapshot() as reader:
            return await self._material_in(reader, material_id)

    async def all(self, course: str | None = None, *, owner_id: str | None = None) -> list[Material]:
        """The materials of `course` (any case), or of every course, oldest first; of professor `owner_id` only
        when given."""
        clauses: list[str] = []
        params: list[str] = []
        if course is not None:
            clauses.append("m.course = ? COLLATE NOCASE")
            params.append(course)
        if owner_id is not None:
            clauses.append("m.owner_id = ?")
            params.append(owner_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(_MATERIAL + where + " ORDER BY m.created_at, m.id", params)
        return [_material(r) for r in rows]

    async def delete(self, material_id: str) -> tuple[Material, bool]:
        """Delete a material, its passages and their pins. Returns it, and whether another material (of another
        course) still holds the same file."""
        async with self.db.transaction() as tx:
            material = await self._material_in(tx, material_id)
            if material is None:
                raise NotFound(f"material {material_id}")
            await tx.execute(
                "DELETE FROM room_pins WHERE passage_id IN (SELECT id FROM passages WHERE material_id = ?)",
                (material_id,),
            )
            await tx.execute("DELETE FROM passages WHERE material_id = ?", (material_id,))
            await tx.execute("DELETE FROM materials WHERE id = ?", (material_id,))
            shared = await tx.scalar("SELECT count(*) FROM materials WHERE sha256 = ?", (material.sha256,))
            await tx.append_event(
                "material.deleted",
                detail={"material_id": material_id, "course": material.course, "filename": material.filename},
            )
        return material, bool(shared)

    async def file_in_use(self, sha256: str) -> bool:
        async with self.db.snapshot() as reader:
            return bool(await reader.scalar("SELECT count(*) FROM materials WHERE sha256 = ?", (sha256,)))

    # ---- passages ----------------------------------------------------------------------------------------

    async def passages(self, material_id: str) -> list[Passage]:
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(_PASSAGE + " WHERE p.material_id = ? ORDER BY p.ordinal", (material_id,))
        return [_passage(r) for r in rows]

    async def get_passage(self, passage_id: int) -> tuple[Passage, str, str] | None:
        """A passage, the course of its material and the professor it belongs to."""
        async with self.db.snapshot() as reader:
            row = await reader.fetchone(
                "SELECT p.id, p.material_id, m.filename, m.course, m.owner_id, p.location, p.text FROM passages p "
                "JOIN materials m ON m.id = p.material_id WHERE p.id = ?",
                (passage_id,),
            )
        return None if row is None else (_passage(row), row["course"], row["owner_id"])

    async def search_passages(
        self, course: str, terms: Sequence[str], *, owner_id: str, limit: int = 50
    ) -> list[ScoredPassage]:
        """The passages of professor `owner_id`'s course `course` holding any of `terms`, best first by bm25
        (FTS5's ranking)."""
        if not terms:
            return []
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT p.id, p.material_id, m.filename, p.location, p.text, bm25(passages_fts) AS score "
                "FROM passages_fts JOIN passages p ON p.id = passages_fts.rowid "
                "JOIN materials m ON m.id = p.material_id "
                "WHERE passages_fts MATCH ? AND m.course = ? COLLATE NOCASE AND m.owner_id = ? "
                "ORDER BY score, p.id LIMIT ?",
                (fts_query(terms), course, owner_id, limit),
            )
        return [ScoredPassage(_passage(r), float(r["score"])) for r in rows]

    async def course_text(self, course: str, *, owner_id: str = ADMIN_ID) -> str:
        """All the passages of a professor's course, in upload and reading order (what a free-text field would
        hold)."""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT p.text FROM passages p JOIN materials m ON m.id = p.material_id "
                "WHERE m.course = ? COLLATE NOCASE AND m.owner_id = ? ORDER BY m.created_at, m.id, p.ordinal",
                (course, owner_id),
            )
        return "\n\n".join(r["text"] for r in rows)

    # ---- pins --------------------------------------------------------------------------------------------

    async def pin_passage(self, room_id: str, passage_id: int) -> bool:
        """Pin a passage to a room (every avatar start there gets it first). False when it already was."""
        async with self.db.transaction() as tx:
            session_id = await tx.scalar("SELECT session_id FROM rooms WHERE id = ?", (room_id,))
            if session_id is None:
                raise NotFound(f"room {room_id}")
            if await tx.scalar("SELECT 1 FROM passages WHERE id = ?", (passage_id,)) is None:
                raise NotFound(f"passage {passage_id}")
            added = await tx.execute(
                "INSERT OR IGNORE INTO room_pins (room_id, passage_id, pinned_at) VALUES (?, ?, ?)",
                (room_id, passage_id, tx.now),
            )
            if added:
                await tx.append_event(
                    "room.passage_pinned", session_id=session_id, room_id=room_id, detail={"passage_id": passage_id}
                )
        return bool(added)

    async def unpin_passage(self, room_id: str, passage_id: int) -> bool:
        async with self.db.transaction() as tx:
            session_id = await tx.scalar("SELECT session_id FROM rooms WHERE id = ?", (room_id,))
            if session_id is None:
                raise NotFound(f"room {room_id}")
            removed = await tx.execute(
                "DELETE FROM room_pins WHERE room_id = ? AND passage_id = ?", (room_id, passage_id)
            )
            if removed:
                await tx.append_event(
                    "room.passage_unpinned", session_id=session_id, room_id=room_id, detail={"passage_id": passage_id}
                )
        return bool(removed)

    async def pinned_passages(self, room_id: str) -> list[Passage]:
        """The passages pinned to a room, in the order they were pinned."""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                _PASSAGE + " JOIN room_pins r ON r.passage_id = p.id WHERE r.room_id = ? ORDER BY r.pinned_at, p.id",
                (room_id,),
            )
        return [_passage(r) for r in rows]

    # ---- what each avatar session was given ----------------------------------------------------------------

    async def record_given_passages(self, avatar_session_id: str, given: Sequence[GivenPassage]) -> None:
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO avatar_session_passages (avatar_session_id, position, passage_id, source, excerpt, "
                "pinned) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (avatar_session_id, i, g.passage_id, g.source, excerpt(g.excerpt), int(g.pinned))
                    for i, g in enumerate(given)
                ],
            )

    async def given_passages(self, room_id: str) -> dict[str, list[GivenPassage]]:
        """Per avatar session of the room (by id), the passages its context held, in context order."""
        async with self.db.snapshot() as reader:
            return await given_passages_in(reader, room_id)


async def given_passages_in(reader: Reader, room_id: str) -> dict[str, list[GivenPassage]]:
    rows = await reader.fetchall(
        "SELECT g.* FROM avatar_session_passages g JOIN avatar_sessions a ON a.id = g.avatar_session_id "
        "WHERE a.room_id = ? ORDER BY a.created_at, a.id, g.position",
        (room_id,),
    )
    given: dict[str, list[GivenPassage]] = {}
    for row in rows:
        given.setdefault(row["avatar_session_id"], []).append(
            GivenPassage(row["passage_id"], row["source"], row["excerpt"], bool(row["pinned"]))
        )
    return given
