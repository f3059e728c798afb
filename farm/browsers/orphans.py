"""Chromium processes left behind by a farm manager that died (SIGKILL): each bot's Chromium carries a
--avatarfarm-owner=<manager pid> marker, and at start-up those whose manager is gone are killed."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

MARKER = "--avatarfarm-owner="


def owner_marker() -> str:
    return f"{MARKER}{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def orphaned_browsers(proc: Path = Path("/proc")) -> list[int]:
    """PIDs of marked browser processes whose owning manager is no longer running."""
    found: list[int] = []
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        for arg in argv:
            if arg.startswith(MARKER.encode()):
                owner = arg[len(MARKER) :].decode(errors="replace")
                if owner.isdigit() and not _alive(int(owner)) and b"--type=" not in b" ".join(argv):
                    found.append(int(entry.name))
                break
    return found


def browsers_of(owner: int, proc: Path = Path("/proc")) -> list[int]:
    """PIDs of the main browser processes marked with `owner` (helpers exit with their browser)."""
    found: list[int] = []
    if not proc.is_dir():
        return found
    wanted = f"{MARKER}{owner}".encode()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if wanted in argv and not any(arg.startswith(b"--type=") for arg in argv):
            found.append(int(entry.name))
    return found


def kill_browsers_of(owner: int) -> list[int]:
    """Kill every browser this process (a browser node) marked as its own; returns their PIDs."""
    killed = []
    for pid in browsers_of(owner):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    return killed


def kill_orphaned_browsers() -> list[int]:
    """Kill the main process of every orphaned bot browser (its helpers exit with it); returns their PIDs."""
    killed = []
    for pid in orphaned_browsers():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    return killed
