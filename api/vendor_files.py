"""The npm files the bot page may load from /vendor/npm: the SDK entry points its configuration names and every
file they import by relative path, found by reading their import and export statements. Bare imports (such as
`events`) are the page's import map's business and served elsewhere; anything else in node_modules is not
served at all (node_modules holds far more than the page runs: sources, maps, tests, other packages)."""

from __future__ import annotations

import functools
import logging
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger("avatarfarm.api")

# `import … from "x"`, `import "x"`, `export … from "x"` and `import("x")` with a literal specifier.
_STATIC = re.compile(r"""\b(?:import|export)\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"'\n]+)["']""")
_DYNAMIC = re.compile(r"""\bimport\s*\(\s*["']([^"'\n]+)["']\s*\)""")


def _specifiers(source: str) -> set[str]:
    return {m.group(1) for m in _STATIC.finditer(source)} | {m.group(1) for m in _DYNAMIC.finditer(source)}


def npm_files(node_modules: Path, entry_points: Iterable[str], mapped: Iterable[str]) -> frozenset[str]:
    """Paths (relative to node_modules, '/'-separated) the page may fetch: `entry_points` and their relative
    imports, transitively. A bare import that the import map (`mapped`) does not cover is logged: the page
    would fail to load that module.

    Reading the SDKs' sources takes a while (megabytes of JavaScript), so the answer is kept for the process and
    read again only when an entry point's file changes (an SDK installed anew)."""
    entries = tuple(posixpath.normpath(entry) for entry in entry_points)
    return _npm_files(node_modules, entries, frozenset(mapped), _stamps(node_modules, entries))


def _stamps(node_modules: Path, entries: tuple[str, ...]) -> tuple[tuple[int, int] | None, ...]:
    stamps: list[tuple[int, int] | None] = []
    for entry in entries:
        try:
            stat = (node_modules / entry).stat()
        except OSError:
            stamps.append(None)
        else:
            stamps.append((stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


@functools.lru_cache(maxsize=8)
def _npm_files(
    node_modules: Path, entries: tuple[str, ...], mapped: frozenset[str], stamps: tuple[tuple[int, int] | None, ...]
) -> frozenset[str]:
    found: set[str] = set()
    todo = list(entries)
    while todo:
        path = todo.pop()
        if path in found or path.startswith("../") or not (node_modules / path).is_file():
            continue
        found.add(path)
        if not path.endswith((".js", ".mjs")):
            continue
        source = (node_modules / path).read_text(encoding="utf-8", errors="replace")
        for spec in _specifiers(source):
            if spec.startswith(("./", "../")):
                todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), spec)))
            elif spec not in mapped and not spec.startswith(("http:", "https:", "data:", "/")):
                log.warning("%s imports %r, which the bot page's import map does not provide", path, spec)
    return frozenset(found)
