"""The repository's own Python files, for the tests that read the code rather than run it (layout, vocabulary,
error handling, fork safety)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("api", "farm", "state")


def python_files(*folders: str) -> list[Path]:
    """Every .py file below these top-level folders, in a stable order."""
    return [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]


def calls(source: str) -> Iterator[ast.Call]:
    """Every call in `source`, however deep."""
    return (node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call))
