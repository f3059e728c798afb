"""Processes on this machine as /proc shows them: a browser's whole tree, what each process's environment holds,
and the CPU they have used."""

from __future__ import annotations

import os
import re
from pathlib import Path

from farm.browsers.orphans import stat_fields

PROC = Path("/proc")


def _parent(pid: int) -> int | None:
    try:
        return int(stat_fields(pid, PROC)[1])
    except (OSError, ValueError, IndexError):
        return None


def tree(root: int) -> list[int]:
    """`root` and every process descending from it."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            parent = _parent(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def environment(pid: int) -> dict[str, str] | None:
    """The environment `pid` was started with, or None when it has exited."""
    try:
        raw = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return None
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return {name: value for name, _, value in pairs}


def argv(pid: int) -> list[str]:
    try:
        return [a.decode(errors="replace") for a in (PROC / str(pid) / "cmdline").read_bytes().split(b"\0") if a]
    except OSError:
        return []


def process_kind(pid: int) -> str:
    """`browser`, `zygote`, `renderer`, `gpu-process`, `utility:<service>`... Chromium rewrites its command line
    into one string, so its switches are read from all of it."""
    words = " ".join(argv(pid))
    kind = re.search(r"--type=([a-z-]+)", words)
    if kind is None:
        return "browser"
    service = re.search(r"--utility-sub-type=([\w.]+)", words)
    return f"{kind.group(1)}:{service.group(1)}" if kind.group(1) == "utility" and service else kind.group(1)


def seccomp_mode(pid: int) -> int | None:
    """0: none, 1: strict, 2: filter (Chromium's sandbox); None when it has exited."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("Seccomp:")), None)


def user_namespace(pid: int | str) -> str:
    return os.readlink(PROC / str(pid) / "ns" / "user")


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds these processes have used so far (a process gone counts nothing)."""
    ticks = 0
    for pid in pids:
        try:
            fields = stat_fields(pid, PROC)
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")
