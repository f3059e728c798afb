"""The passage a student's question needs reaches the avatar's context at least 9 times in 10 on the generated
course corpus (a 40-page PDF and a 12-slide deck), within LiveAvatar's context limit — far more often than the
first characters of the course text did. `make bench` reports the same figures (tests/bench/materials.py)."""

from __future__ import annotations

from pathlib import Path

from state.database import Database
from state.repository import Repository
from tests.bench.materials import hit_rates, load_corpus

GOAL = 0.9


async def test_selected_passages_hold_the_right_page_for_nine_questions_in_ten(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "corpus.sqlite3")
    try:
        repository = Repository(database)
        await load_corpus(repository, tmp_path)
        materials = await repository.materials.all()
        assert [(m.filename, m.units) for m in materials] == [("algorithms-notes.pdf", 40), ("graphs-lecture.pptx", 12)]
        result = await hit_rates(repository)
    finally:
        await database.close()
    assert result["questions"] == 52
    assert result["course_chars"] > 3 * result["budget_chars"]  # the course does not fit whole
    assert result["hit_rate"] >= GOAL, result["missed"]
    assert result["baseline_hit_rate"] < 0.5
