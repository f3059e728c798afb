"""CPU time and proportional memory (PSS) of the bots' Chromium process trees, read from /proc."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from farm.browsers.orphans import Owner, browsers_of, stat_fields
from tests.support.process_tree import cpu_seconds, process_kind, tree


def bot_trees(owner: Owner | None = None) -> list[list[int]]:
    """One list of PIDs per bot browser (its main process and all descendants) of this (or `owner`'s) farm."""
    return [tree(root) for root in browsers_of(owner or Owner.me())]


async def no_bot_browsers() -> bool:
    """Whether this farm's bot browsers are all gone (a sample's must be, before the next one counts trees)."""
    return not bot_trees()


@dataclass
class CpuWindow:
    """The CPU these processes use from the window's start: `end()` gives cores in all and by thread."""

    pids: list[int]
    threads: dict[str, int] = field(init=False)
    cpu: float = field(init=False)
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.threads = thread_ticks(self.pids)
        self.cpu = cpu_seconds(self.pids)
        self.started = time.monotonic()

    def end(self) -> tuple[float, dict[str, float]]:
        elapsed = time.monotonic() - self.started
        cores = (cpu_seconds(self.pids) - self.cpu) / elapsed
        return cores, cores_by_thread(self.threads, thread_ticks(self.pids), elapsed)


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


def thread_ticks(pids: Sequence[int]) -> dict[str, int]:
    """CPU clock ticks (user + system) so far of every thread of these processes, summed by
    '<process kind> <thread name>' (the kernel keeps 15 characters of a name; a pool's numbered threads, such as
    ThreadPoolForegroundWorker, count as one)."""
    ticks: dict[str, int] = {}
    for pid in pids:
        kind = process_kind(pid)
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        tasks = Path(f"/proc/{pid}/task")
        for tid in threads:
            try:
                name = (tasks / tid / "comm").read_text().strip().rstrip("0123456789")
                fields = stat_fields(tid, tasks)
            except OSError:
                continue
            key = f"{kind} {name}"
            ticks[key] = ticks.get(key, 0) + int(fields[11]) + int(fields[12])
    return ticks


def cores_by_thread(before: dict[str, int], after: dict[str, int], seconds: float) -> dict[str, float]:
    """Cores per thread name between two thread_ticks readings, busiest first (under 0.002 core left out)."""
    hertz = os.sysconf("SC_CLK_TCK")
    cores = {key: (ticks - before.get(key, 0)) / hertz / seconds for key, ticks in after.items()}
    return {key: round(value, 4) for key, value in sorted(cores.items(), key=lambda kv: -kv[1]) if value >= 0.002}


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
