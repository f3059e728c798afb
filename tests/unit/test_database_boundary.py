"""Nothing outside state/ touches the database connection: the product asks the repository (state/repository.py)
for what it needs, so the SQL and its transactions stay in one package."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE_REACH = re.compile(r"\.db\b(?!\w)")


def test_no_product_code_outside_state_reaches_the_database() -> None:
    reaches = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("api", "farm")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if DATABASE_REACH.search(line)
    ]
    assert reaches == []
