"""Passage selection for a room: FTS5 search fused over conversation, instructions and background; pinned
passages first; duplicates dropped; the context takes passages in order while they fit, each with its source."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from farm.conversation.avatar_context import PASSAGES_HEADER, PROMPT_LIMIT, SourcedPassage, build_context
from farm.materials.files import ABANDONED_SECONDS, MaterialFiles
from farm.materials.intake import take_in
from farm.materials.passage_selection import RoomNeeds, fuse, select_passages, terms_of
from state.database import Database
from state.models import Course, Meeting, NewRoom, NewSession, Passage, Professor, Student
from state.professors_repository import ADMIN_ID
from state.repository import Repository

COURSE = "CS 201"
HEAPS = "A binary heap keeps every parent at least as large as its children; sift-down restores it after a pop."
HASHING = "Open addressing probes the table on a collision; linear probing suffers primary clustering."
GRAPHS = "Dijkstra's algorithm needs non-negative edge weights; Bellman-Ford handles negative ones."


@pytest.fixture
async def repository(tmp_path: Path) -> AsyncIterator[Repository]:
    database = await Database.open(tmp_path / "select.sqlite3")
    yield Repository(database)
    await database.close()


async def _upload(repository: Repository, tmp_path: Path, name: str, text: str, course: str = COURSE) -> None:
    files = MaterialFiles(tmp_path)
    incoming = files.receive(1_000_000)
    incoming.write(text.encode())
    await take_in(repository.materials, files, owner_id=ADMIN_ID, course=course, filename=name, incoming=incoming)


async def _room(repository: Repository) -> str:
    session, _ = await repository.sessions.create(
        NewSession(
            meeting=Meeting(number="85746065432"),
            professor=Professor(name="Prof. Ada", avatar_id="avatar"),
            course=Course(name=COURSE.lower()),  # the course is matched without regard to case
            rooms=(NewRoom("Room 1", Student("Grace")),),
        )
    )
    return session.rooms[0].id


async def test_each_need_finds_its_passage_and_the_conversation_cannot_drown_the_instructions(
    repository: Repository, tmp_path: Path
) -> None:
    await _upload(repository, tmp_path, "heaps.md", HEAPS)
    await _upload(repository, tmp_path, "hashing.md", HASHING)
    await _upload(repository, tmp_path, "graphs.txt", GRAPHS)
    await _upload(repository, tmp_path, "other.md", "Heaps heaps heaps: sift-down and parent.", course="Other")
    needs = RoomNeeds(
        conversation=["why does my heap break after I pop the top, do I sift down?"] * 5,
        instructions="Work on collisions in hash tables with linear probing.",
        background="Has seen Dijkstra with negative weights go wrong.",
    )
    chosen = await select_passages(repository.materials, course=COURSE, room_id=None, needs=needs)
    assert [p.source for p in chosen] == ["heaps.md", "hashing.md", "graphs.txt"]
    assert all(not p.pinned for p in chosen)
    only_instructions = await select_passages(
        repository.materials, course=COURSE, room_id=None, needs=RoomNeeds(instructions="linear probing clustering")
    )
    assert [p.source for p in only_instructions] == ["hashing.md"]
    spaced = await select_passages(
        repository.materials,
        course=f"  {COURSE.lower()} ".replace(" ", "  "),
        room_id=None,
        needs=RoomNeeds(instructions="probing"),
    )
    assert [p.source for p in spaced] == ["hashing.md"]  # a session's course name, however spaced or cased
    assert await select_passages(repository.materials, course="No such course", room_id=None, needs=needs) == []


async def test_pinned_passages_come_first_and_duplicates_are_dropped(repository: Repository, tmp_path: Path) -> None:
    room_id = await _room(repository)
    await _upload(repository, tmp_path, "heaps.md", HEAPS)
    await _upload(repository, tmp_path, "heaps-copy.md", HEAPS + " ")  # another file, the same passage
    await _upload(repository, tmp_path, "graphs.txt", GRAPHS)
    graphs = (await repository.materials.all(COURSE))[2]
    pinned = (await repository.materials.passages(graphs.id))[0]
    assert await repository.materials.pin_passage(room_id, pinned.id)
    assert not await repository.materials.pin_passage(room_id, pinned.id)  # pinned once
    chosen = await select_passages(
        repository.materials,
        course=COURSE,
        room_id=room_id,
        needs=RoomNeeds(conversation=["how does sift-down fix a heap"]),
    )
    assert [(p.source, p.pinned) for p in chosen] == [("graphs.txt", True), ("heaps.md", False)]


def test_terms_drop_stop_words_and_repeat_nothing() -> None:
    assert terms_of("What is the base case of a recursion? The BASE case!") == ["base", "case", "recursion"]
    assert terms_of('quote " and NEAR(x) * column:') == ["quote", "near", "column"]


def test_fusion_rewards_a_passage_found_by_several_needs() -> None:
    a, b, c = (Passage(i, "m", "f", None, t) for i, t in enumerate("abc"))
    assert [p.id for p in fuse([[a, b], [c, b]])] == [1, 0, 2]


def test_the_context_takes_passages_in_order_while_they_fit_and_says_to_cite_them() -> None:
    big = SourcedPassage(1, "notes.pdf, p. 3", "x" * 6000)
    second = SourcedPassage(2, "notes.pdf, p. 9", "y" * 3000)  # no longer fits after the first
    small = SourcedPassage(3, "deck.pptx, slide 2", "Base case first.")
    context = build_context(
        professor_name="Prof. Ada",
        teaching_style=None,
        student_name="Grace",
        student_background="",
        course_name="CS 201",
        course_material="The syllabus. " * 400,  # free text keeps a share only
        room_name="Room 1",
        passages=[big, second, small],
        reserved=500,
    )
    assert [p.passage_id for p in context.passages] == [1, 3]
    assert len(context.prompt) <= PROMPT_LIMIT - 500
    assert PASSAGES_HEADER.strip() in context.prompt
    assert "[notes.pdf, p. 3] xxx" in context.prompt and "[deck.pptx, slide 2] Base case first." in context.prompt
    assert "y" * 100 not in context.prompt
    assert context.prompt.index("The syllabus.") < context.prompt.index("[notes.pdf, p. 3]")


def test_files_abandoned_half_received_are_cleared_by_the_next_upload(tmp_path: Path) -> None:
    files = MaterialFiles(tmp_path)
    old = files.receive(100)
    old.write(b"half a file")
    old.close()
    recent = files.receive(100)
    recent.close()
    stale = time.time() - ABANDONED_SECONDS - 60
    os.utime(old.path, (stale, stale))
    files.receive(100).discard()
    assert not old.path.exists() and recent.path.exists()


def test_the_conversation_appended_after_the_context_is_kept_within_the_limit() -> None:
    context = build_context(
        professor_name="Prof. Ada",
        teaching_style=None,
        student_name="Grace",
        student_background="",
        course_name="CS 201",
        course_material="A long handout. " * 2000,  # no passages: today's trimmed free text
        room_name="Room 1",
        reserved=1502,  # a conversation summary of 1,500 characters and its separator
    )
    assert len(context.prompt) + 1502 <= PROMPT_LIMIT
