"""What a farm manager or browser node killed outright (SIGKILL, the OOM killer) leaves behind, and its cleanup.

Each bot's Chromium carries a --avatarfarm-owner=<manager pid> marker, and at start-up those whose manager is
gone are killed; a node's socket directory is named with its pid, and a node starting removes those of nodes
that are gone."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import NamedTuple

MARKER = "--avatarfarm-owner="
NODE_DIR_PREFIX = "avatarfarm-node-"


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


class _Marked(NamedTuple):
    pid: int
    parent: int
    owner: int | None


def _parent(entry: Path) -> int:
    stat = (entry / "stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def _main_browsers(proc: Path) -> list[_Marked]:
    """Every marked main browser process: not a helper (`--type=`), and not a child of a marked process.

    A process that forks copies its command line until it execs, so for a moment a browser's child on its
    way to becoming a helper (and Debian's wrapper script's subshells) carries the marker without
    `--type=`; its parent, marked too, tells it apart."""
    marked: list[_Marked] = []
    prefix = MARKER.encode()
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            owner = next((arg[len(prefix) :] for arg in argv if arg.startswith(prefix)), None)
            if owner is None or any(arg.startswith(b"--type=") for arg in argv):
                continue
            parent = _parent(entry)  # read only for marked main processes: every other process is skipped above
        except (OSError, ValueError, IndexError):
            continue  # gone while we looked
        marked.append(_Marked(int(entry.name), parent, int(owner) if owner.isdigit() else None))
    pids = {m.pid for m in marked}
    return [m for m in marked if m.parent not in pids]


def orphaned_browsers(proc: Path = Path("/proc")) -> list[int]:
    """PIDs of marked browser processes whose owning manager is no longer running."""
    return [m.pid for m in _main_browsers(proc) if m.owner is not None and not _alive(m.owner)]


def browsers_of(owner: int, proc: Path = Path("/proc")) -> list[int]:
    """PIDs of the main browser processes marked with `owner` (helpers exit with their browser)."""
    return [m.pid for m in _main_browsers(proc) if m.owner == owner]


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


def node_socket_dir() -> str:
    """A new private directory (mode 0700) for this node's driver socket, named with its pid."""
    return tempfile.mkdtemp(prefix=f"{NODE_DIR_PREFIX}{os.getpid()}-")


def remove_orphaned_node_dirs() -> list[Path]:
    """Remove this user's node socket directories whose node is gone (this process's pid too: a container's
    node has the same pid each time, and this node has not made its own yet); returns them."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{NODE_DIR_PREFIX}*-*"):
        pid = path.name[len(NODE_DIR_PREFIX) :].split("-", 1)[0]
        try:
            mine = path.stat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and pid.isdigit() and (int(pid) == os.getpid() or not _alive(int(pid))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
