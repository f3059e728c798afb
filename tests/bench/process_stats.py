"""CPU time and proportional memory (PSS) of the bots' Chromium process trees, read from /proc."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from farm.browsers.orphans import Owner, browsers_of
from tests.support.process_tree import argv, tree


def bot_trees(owner: Owner | None = None) -> list[list[int]]:
    """One list of PIDs per bot browser (its main process and all descendants) of this (or `owner`'s) farm."""
    return [tree(root) for root in browsers_of(owner or Owner.me())]


def pss_mib(pids: list[int]) -> float:
    total_kib = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kib += int(line.split()[1])
                    break
        except OSError:
            continue
    return total_kib / 1024


def process_kind(pid: int) -> str:
    """`browser`, `zygote`, `renderer`, `gpu-process`, `utility:<service>`... (from Chromium's rewritten argv)."""
    words = " ".join(argv(pid))
    kind = re.search(r"--type=([a-z-]+)", words)
    if kind is None:
        return "browser"
    service = re.search(r"--utility-sub-type=([\w.]+)", words)
    return f"{kind.group(1)}:{service.group(1)}" if kind.group(1) == "utility" and service else kind.group(1)


def by_process_kind(pids: Sequence[int]) -> dict[str, dict[str, float]]:
    kinds: dict[str, list[int]] = {}
    for pid in pids:
        kinds.setdefault(process_kind(pid), []).append(pid)
    return {kind: {"processes": len(found), "pss_mib": pss_mib(found)} for kind, found in sorted(kinds.items())}


@dataclass(frozen=True)
class Footprint:
    bots: int
    cores_per_bot: float
    pss_mib_per_bot: float
