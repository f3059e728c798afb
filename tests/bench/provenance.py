"""What a benchmark figure was measured on and with, recorded beside it in results.json: the commit (and whether
the work tree had changes), Chromium's and Playwright's versions, the CPU model and core count, the user the bot
browsers ran as, the settings, the date and the machine's load average around the measure."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from farm.browsers.chromium import chromium_executable

ROOT = Path(__file__).resolve().parents[2]


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def commit() -> dict[str, Any]:
    """The checked-out commit, and whether tracked files differ from it (results.json itself aside)."""
    changed = _git(
        "status", "--porcelain", "--untracked-files=no", "--", ".", ":!tests/bench/results.json", ":!README.md"
    )
    return {"commit": _git("rev-parse", "HEAD"), "uncommitted_changes": bool(changed) if changed is not None else None}


def chromium_version() -> str | None:
    executable = chromium_executable()
    if executable is None:
        return None
    try:
        done = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def provenance_date() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def provenance(
    *, user: str, settings: dict[str, Any], runs: int, load_average: tuple[float, float] | None = None
) -> dict[str, Any]:
    """`load_average`: the machine's 1-minute load average when the measure began and ended (a figure taken
    while other work ran on its cores says so)."""
    return {
        **commit(),
        "chromium": chromium_version(),
        "playwright": importlib.metadata.version("playwright"),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "user": user,
        "settings": settings,
        "runs": runs,
        "date": provenance_date(),
        "load_average": list(load_average) if load_average else None,
    }
