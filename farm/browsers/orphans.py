"""What a farm manager or browser node killed outright (SIGKILL, the OOM killer) leaves behind, and its cleanup.

Each bot's Chromium carries a --avatarfarm-owner=<pid>.<start> marker naming the process that launched it (a
manager, a browser node) by its pid and its start time: pids are reused (this kernel's pid_max is often 32768,
and a farm's browsers spawn processes by the thousand), so a pid alone could name a newer, unrelated process.
At start-up the browsers whose owner is gone are killed; a node's socket directory is named the same way, and a
node starting removes those of nodes that are gone."""

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


def stat_fields(pid: int | str, proc: Path = Path("/proc")) -> list[str]:
    """/proc/<pid>/stat from its third field (the state) on: the command name before it, in parentheses, may
    hold spaces and parentheses. Raises OSError once the process is gone."""
    stat = (proc / str(pid) / "stat").read_text()
    return stat[stat.rindex(")") + 2 :].split()


def start_time(pid: int, proc: Path = Path("/proc")) -> int | None:
    """When the process started, in clock ticks since boot (stat's 22nd field); None once it is gone."""
    try:
        return int(stat_fields(pid, proc)[19])
    except (OSError, ValueError, IndexError):
        return None


class Owner(NamedTuple):
    """A process that launches browsers: its pid, and its start time to tell it from a later process that
    gets the same pid (None in the markers of older versions, which wrote the pid alone)."""

    pid: int
    started: int | None

    @classmethod
    def of(cls, pid: int, proc: Path = Path("/proc")) -> Owner:
        """The process running as `pid` now (read it while it runs, or before it is reaped)."""
        return cls(pid, start_time(pid, proc))

    @classmethod
    def me(cls) -> Owner:
        return cls.of(os.getpid())

    @classmethod
    def parse(cls, text: bytes) -> Owner | None:
        pid, _, started = text.partition(b".")
        if not pid.isdigit() or (started and not started.isdigit()):
            return None
        return cls(int(pid), int(started) if started else None)

    @property
    def tag(self) -> str:
        """`<pid>.<start>` (`<pid>` where the start time is unknown), as Owner.parse reads it."""
        return str(self.pid) if self.started is None else f"{self.pid}.{self.started}"

    def marker(self) -> str:
        return f"{MARKER}{self.tag}"

    def alive(self, proc: Path = Path("/proc")) -> bool:
        if self.started is None:
            return _alive(self.pid)
        return start_time(self.pid, proc) == self.started


def owner_marker() -> str:
    return Owner.me().marker()


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
    owner: Owner | None


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
            parent = int(stat_fields(entry.name, proc)[1])  # read for marked main processes only
        except (OSError, ValueError, IndexError):
            continue  # gone while we looked
        marked.append(_Marked(int(entry.name), parent, Owner.parse(owner)))
    pids = {m.pid for m in marked}
    return [m for m in marked if m.parent not in pids]


def orphaned_browsers(proc: Path = Path("/proc")) -> list[int]:
    """PIDs of marked browser processes whose owning manager is no longer running."""
    return [m.pid for m in _main_browsers(proc) if m.owner is not None and not m.owner.alive(proc)]


def browsers_of(owner: Owner, proc: Path = Path("/proc")) -> list[int]:
    """PIDs of the main browser processes that `owner` launched (helpers exit with their browser)."""
    return [m.pid for m in _main_browsers(proc) if m.owner == owner]


def kill_browsers_of(owner: Owner) -> list[int]:
    """Kill every browser `owner` launched; returns their PIDs."""
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
    """A new private directory (mode 0700) for this node's driver socket, named with its owner identity."""
    return tempfile.mkdtemp(prefix=f"{NODE_DIR_PREFIX}{Owner.me().tag}-")


def remove_orphaned_node_dirs() -> list[Path]:
    """Remove this user's node socket directories whose node is gone; returns them. Directories named with a
    pid alone (older versions) go once that pid is not running, or runs this node (a container's node has the
    same pid each time)."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{NODE_DIR_PREFIX}*-*"):
        owner = Owner.parse(path.name[len(NODE_DIR_PREFIX) :].split("-", 1)[0].encode())
        try:
            mine = path.stat().st_uid == os.getuid()
        except OSError:
            continue
        if owner is None or not mine:
            continue
        legacy_here = owner.started is None and owner.pid == os.getpid()
        if legacy_here or not owner.alive():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
