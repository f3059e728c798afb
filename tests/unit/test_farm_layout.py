"""The farm's packages stay in layers: no module of farm/ imports itself back through others (an import circle is
how the runner and the modules split from it used to be tied), and only one module writes JavaScript for a bot
page (farm/room/page_commands.py); the rest of the product goes through it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FARM = ROOT / "farm"
CALL_INTO_PAGE = re.compile(r"window\.avatarfarm\.\w+\(")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The farm modules `path` imports, TYPE_CHECKING imports included (they tie the design all the same)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("farm"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("farm"))
    return found


def test_farm_has_no_import_circle() -> None:
    graph = {_module(path): _imports(path) for path in FARM.rglob("*.py")}
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            circle = [*trail[trail.index(module) :], module]
            raise AssertionError("import circle: " + " -> ".join(circle))
        if module in done or module not in graph:
            return
        for imported in sorted(graph[module]):
            visit(imported, [*trail, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_only_the_page_commands_write_javascript_for_a_page() -> None:
    writers = sorted(
        str(path.relative_to(ROOT))
        for folder in ("farm", "api", "state")
        for path in (ROOT / folder).rglob("*.py")
        if CALL_INTO_PAGE.search(path.read_text(encoding="utf-8"))
    )
    assert writers == ["farm/room/page_commands.py"]


# farm/'s packages from the top down (README, "Layout"): each imports only those after it (and farm's own
# top-level modules that import none of them: settings, cancellation, errors).
LAYERS = ["room", "materials", "conversation", "money", "vendors", "webhooks", "browsers"]


def test_each_package_imports_only_those_below_it() -> None:
    assert sorted(LAYERS) == sorted(p.name for p in FARM.iterdir() if (p / "__init__.py").exists())
    upward = []
    for height, package in enumerate(LAYERS):
        for path in sorted((FARM / package).rglob("*.py")):
            for module in _imports(path):
                parts = module.split(".")
                if len(parts) > 2 and parts[1] in LAYERS and LAYERS.index(parts[1]) <= height and parts[1] != package:
                    upward.append(f"{path.relative_to(ROOT)} imports {module}")
    assert upward == []
