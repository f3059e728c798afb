"""Passage selection, measured: how often the avatar's context holds the passage a student's question needs.

The course corpus (tests/support/course_corpus.py: a generated 40-page PDF and a 12-slide deck) goes through
the real intake (extraction, passages, FTS5 index). For each of its 52 questions, asked by a student in a room,
the context is built as at an avatar start, within LiveAvatar's context limit, two ways:
  * selected: the passages farm/materials/passage_selection.py picks for the room (what avatarfarm does now);
  * baseline: the course text in one free-text field, trimmed to its first characters (what it did before).
A hit is the right page's or slide's key phrase in the context. Also timed: the intake, and the selection on
this course and on one ten times its size. Run alone: `python -m tests.bench --only materials`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from farm.conversation.avatar_context import PROMPT_LIMIT, build_context
from farm.conversation.summary import summarize
from farm.materials.files import MaterialFiles
from farm.materials.intake import take_in
from farm.materials.passage_selection import RoomNeeds, select_passages
from state import inspection
from state.database import Database
from state.models import TranscriptLine, TranscriptRole
from state.professors_repository import ADMIN_ID
from state.repository import Repository
from tests.support.course_corpus import DECK, NOTES, graphs_pptx, notes_pdf, questions

COURSE = "Algorithms and Data Structures"
# The large course: the corpus and this many more handouts of its size (about 500 pages in all).
LARGE_COURSE_COPIES = 9
BACKGROUND = "Second-year computer science student; knows Python; preparing for the midterm."
STYLE = "Patient, asks the student to try a small example first."


def _folded(text: str) -> str:
    return " ".join(text.split())


async def _take_in(repository: Repository, files: MaterialFiles, filename: str, content: bytes) -> None:
    incoming = files.receive(len(content))
    incoming.write(content)
    await take_in(repository.materials, files, owner_id=ADMIN_ID, course=COURSE, filename=filename, incoming=incoming)


async def load_corpus(repository: Repository, data_dir: Path) -> float:
    """Take the corpus in; returns the seconds the intake took (reading, passages, index; not making the files)."""
    files = MaterialFiles(data_dir)
    made = ((NOTES, notes_pdf()), (DECK, graphs_pptx()))
    started = time.monotonic()
    for filename, content in made:
        await _take_in(repository, files, filename, content)
    return time.monotonic() - started


async def grow_course(repository: Repository, data_dir: Path, copies: int) -> int:
    """Add `copies` other handouts of the course's size (its text, each marked as another volume): a course of
    hundreds of pages, to time the selection on. Returns the course's passages."""
    files = MaterialFiles(data_dir)
    text = await repository.materials.course_text(COURSE)
    for volume in range(copies):
        await _take_in(repository, files, f"volume-{volume + 2}.txt", f"Volume {volume + 2}.\n\n{text}".encode())
    return int(await inspection.scalar(repository, "SELECT count(*) FROM passages"))


async def selection_ms(repository: Repository) -> float:
    """Milliseconds to select a room's passages, per question of the corpus."""
    asked = questions()
    started = time.monotonic()
    for question, _, _ in asked:
        needs = RoomNeeds(conversation=[question], background=BACKGROUND)
        await select_passages(repository.materials, course=COURSE, room_id=None, needs=needs)
    return (time.monotonic() - started) * 1000 / len(asked)


def _context_args(question: str) -> tuple[dict[str, Any], str]:
    line = TranscriptLine(id=1, room_id="room", speaker="Ada", role=TranscriptRole.student, text=question, time=0.0)
    summary = summarize([line])
    args = {
        "professor_name": "Professor Grace Hopper",
        "teaching_style": STYLE,
        "student_name": "Ada",
        "student_background": BACKGROUND,
        "course_name": COURSE,
        "room_name": "Room 1",
        "limit": PROMPT_LIMIT,
        "reserved": len(summary) + 2,
    }
    return args, summary


async def hit_rates(repository: Repository) -> dict[str, Any]:
    """Hit rates of the selected passages and of the baseline over the corpus's questions."""
    course_text = await repository.materials.course_text(COURSE)
    asked = questions()
    hits = baseline_hits = 0
    misses: list[str] = []
    for question, _, key in asked:
        args, summary = _context_args(question)
        needs = RoomNeeds(conversation=[question], background=BACKGROUND)
        passages = await select_passages(repository.materials, course=COURSE, room_id=None, needs=needs)
        selected = build_context(course_material="", passages=passages, **args)
        baseline = build_context(course_material=course_text, **args)
        assert len(selected.prompt) + len(summary) + 2 <= PROMPT_LIMIT
        if key in _folded(selected.prompt):
            hits += 1
        else:
            misses.append(question)
        baseline_hits += key in _folded(baseline.prompt)
    return {
        "questions": len(asked),
        "budget_chars": PROMPT_LIMIT,
        "course_chars": len(course_text),
        "hit_rate": hits / len(asked),
        "baseline_hit_rate": baseline_hits / len(asked),
        "missed": misses,
    }


async def measure(say: Callable[[str], None]) -> dict[str, Any]:
    """The corpus taken in from scratch in a temporary DATA_DIR, then both hit rates (deterministic: one run)."""
    with tempfile.TemporaryDirectory() as tmp:
        database = await Database.open(Path(tmp) / "bench.sqlite3")
        try:
            repository = Repository(database)
            intake_s = await load_corpus(repository, Path(tmp))
            result = await hit_rates(repository)
            result["intake_s"] = intake_s
            result["selection_ms_per_question"] = await selection_ms(repository)
            result["large_course_passages"] = await grow_course(repository, Path(tmp), LARGE_COURSE_COPIES)
            result["large_course_selection_ms_per_question"] = await selection_ms(repository)
            result["large_course_hit_rate"] = (await hit_rates(repository))["hit_rate"]
        finally:
            await database.close()
    say(
        f"  {result['questions']} questions, context limit {result['budget_chars']} characters: "
        f"selected passages hit {result['hit_rate']:.2f}, first characters of the course text "
        f"{result['baseline_hit_rate']:.2f}; intake {result['intake_s']:.2f} s; selection "
        f"{result['selection_ms_per_question']:.1f} ms, {result['large_course_selection_ms_per_question']:.1f} ms "
        f"with {result['large_course_passages']} passages (hit rate {result['large_course_hit_rate']:.2f})"
    )
    return result
