"""CPU time and proportional memory (PSS) of the bots' Chromium process trees, read from /proc."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from farm.orphans import MARKER

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def bot_trees(owner_pid: int | None = None) -> list[list[int]]:
    """One list of PIDs per bot browser (its main process and all descendants) of this (or `owner_pid`'s) farm."""
    marker = f"{MARKER}{owner_pid or os.getpid()}".encode()
    children = _children_map()
    trees = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in argv and not any(a.startswith(b"--type=") for a in argv):
            tree, stack = [], [int(entry.name)]
            while stack:
                pid = stack.pop()
                tree.append(pid)
                stack.extend(children.get(pid, []))
            trees.append(tree)
    return trees


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLOCK_TICKS


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


@dataclass(frozen=True)
class Footprint:
    bots: int
    cores_per_bot: float
    pss_mib_per_bot: float
