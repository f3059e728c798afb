"""Nothing outside state/ touches the database connection: the product asks the repository (state/repository.py)
for what it needs, and tests ask it too, or state/inspection.py for what only a test looks at, so the SQL and
its transactions stay in one package. Tests about the database itself (its migrations) are the exception."""

from __future__ import annotations

import re

from tests.support.source_files import ROOT, python_files

DATABASE_REACH = re.compile(r"\._?db\b(?![\w\"'])")
# Tests about the database itself, which open it without a repository.
ABOUT_THE_DATABASE = ("tests/state/test_migrations*.py",)


def _reaches(folder: str, allowed: tuple[str, ...] = ()) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in python_files(folder)
        if not any(path.relative_to(ROOT).match(pattern) for pattern in allowed)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if DATABASE_REACH.search(line)
    ]


def test_no_product_code_outside_state_reaches_the_database() -> None:
    assert [reach for folder in ("api", "farm", "fakes") for reach in _reaches(folder)] == []


def test_no_test_reaches_the_database_but_those_about_it() -> None:
    assert _reaches("tests", (*ABOUT_THE_DATABASE, "tests/unit/test_database_boundary.py")) == []


def test_the_check_sees_a_reach() -> None:
    assert DATABASE_REACH.search("async with api.repository.db.snapshot() as reader:")
    assert DATABASE_REACH.search("await repository._db.close()")
    assert not DATABASE_REACH.search('path = tmp_path / "state.db"')
