"""What a killed manager or node leaves behind. A bot's browser is its marked main process only — not its helpers,
and not a child caught between fork and exec, which still carries its parent's command line (a fresh-clone CI run
once counted three browsers on a node that had two); its owner is a pid and a start time, never a pid alone, which
a later process may get; a node's socket directory is removed once its node is gone."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from farm.browsers.orphans import (
    MARKER,
    NODE_DIR_PREFIX,
    Owner,
    browsers_of,
    node_socket_dir,
    orphaned_browsers,
    remove_orphaned_node_dirs,
)

CHROMIUM = "/usr/lib/chromium/chromium"


def _process(proc: Path, pid: int, parent: int, *argv: str, started: int = 1000) -> None:
    entry = proc / str(pid)
    entry.mkdir()
    (entry / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    # pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime
    # cstime priority nice num_threads itrealvalue starttime ...
    fields = f"S {parent} {pid} {pid} 0 -1 4194560 0 0 0 0 1 1 0 0 20 0 4 0 {started} 123456 789"
    (entry / "stat").write_text(f"{pid} (chromium (x) y) {fields}\n")


def test_a_browser_is_its_marked_main_process_not_its_helpers_nor_a_child_between_fork_and_exec(
    tmp_path: Path,
) -> None:
    driver, gone = Owner(4000, 1000), Owner(5000, 1000)  # the driver runs; the other manager died
    _process(tmp_path, 4000, 1, "node", "cli.js", "run-driver")
    _process(tmp_path, 4101, 4000, CHROMIUM, driver.marker(), "--headless")
    _process(tmp_path, 4102, 4101, CHROMIUM, driver.marker(), "--headless")  # forked, not yet exec'd
    _process(tmp_path, 4103, 4101, CHROMIUM, "--type=zygote", driver.marker())
    _process(tmp_path, 4201, 4000, CHROMIUM, driver.marker(), "--headless")
    _process(tmp_path, 5101, 1, CHROMIUM, gone.marker(), "--headless")  # its manager died
    _process(tmp_path, 5102, 5101, CHROMIUM, gone.marker(), "--headless")
    (tmp_path / "self").mkdir()

    assert sorted(browsers_of(driver, tmp_path)) == [4101, 4201]
    assert orphaned_browsers(tmp_path) == [5101]
    assert browsers_of(gone, tmp_path) == [5101]


def test_a_pid_reused_by_a_later_manager_names_neither_its_browsers_nor_the_dead_ones(tmp_path: Path) -> None:
    """Pids are reused (this machine's pid_max is 32768, and a test run goes round it): a pid alone names
    whatever process has it now, so the browsers of a manager killed earlier and those of a later manager with
    the same pid were one and the same to the orphan scan and to the harnesses that clean up after a test."""
    dead, later = Owner(7001, 1000), Owner(7001, 9000)
    _process(tmp_path, 7001, 1, "python", "-m", "api.cli", "serve", started=9000)  # the later manager
    _process(tmp_path, 7101, 7001, CHROMIUM, later.marker(), "--headless")
    _process(tmp_path, 7201, 1, CHROMIUM, dead.marker(), "--headless")  # left by the dead one

    assert browsers_of(dead, tmp_path) == [7201]
    assert browsers_of(later, tmp_path) == [7101]
    assert orphaned_browsers(tmp_path) == [7201]
    assert Owner.of(7001, tmp_path) == later and Owner.of(7002, tmp_path) == Owner(7002, None)


def test_a_marker_of_an_older_version_names_its_owner_by_pid() -> None:
    assert Owner.parse(b"4000") == Owner(4000, None)
    assert Owner(4000, None).marker() == f"{MARKER}4000"
    assert Owner.parse(b"4000.123") == Owner(4000, 123)
    assert Owner.parse(b"40x0") is None and Owner.parse(b"4000.") == Owner(4000, None)
    me = Owner.me()
    assert me.pid == os.getpid() and me.started is not None and me.alive()
    assert not Owner(me.pid, me.started + 1).alive()


def test_a_process_that_vanishes_while_it_is_read_is_skipped(tmp_path: Path) -> None:
    _process(tmp_path, 4101, 1, CHROMIUM, Owner(4000, 1000).marker())
    (tmp_path / "4101" / "stat").unlink()
    assert browsers_of(Owner(4000, 1000), tmp_path) == []


def test_a_node_removes_the_socket_directories_of_nodes_that_are_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    me, parent = Owner.me(), Owner.of(os.getppid())
    dead, reused = 999_999_999, f"{parent.pid}.{(parent.started or 0) + 1}"  # the parent's pid, another process
    for name in (
        f"{NODE_DIR_PREFIX}{dead}-ab12",  # older versions named a directory with the pid alone
        f"{NODE_DIR_PREFIX}{os.getpid()}-cd34",
        f"{NODE_DIR_PREFIX}{parent.pid}-ef56",
        f"{NODE_DIR_PREFIX}{parent.pid}.{parent.started}-gh78",
        f"{NODE_DIR_PREFIX}{reused}-ij90",
        f"{NODE_DIR_PREFIX}{me.pid}.{me.started}-kl12",  # another node server of this process
    ):
        (tmp_path / name).mkdir()
        (tmp_path / name / "playwright.sock").touch()
    (tmp_path / f"{NODE_DIR_PREFIX}x1y2z3").mkdir()  # not ours: left

    removed = remove_orphaned_node_dirs()

    assert sorted(p.name for p in removed) == sorted(
        [f"{NODE_DIR_PREFIX}{dead}-ab12", f"{NODE_DIR_PREFIX}{os.getpid()}-cd34", f"{NODE_DIR_PREFIX}{reused}-ij90"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            f"{NODE_DIR_PREFIX}{parent.pid}-ef56",
            f"{NODE_DIR_PREFIX}{parent.pid}.{parent.started}-gh78",
            f"{NODE_DIR_PREFIX}{me.pid}.{me.started}-kl12",
            f"{NODE_DIR_PREFIX}x1y2z3",
        ]
    )
    made = Path(node_socket_dir())
    assert made.parent == tmp_path and made.name.startswith(f"{NODE_DIR_PREFIX}{me.pid}.{me.started}-")
    assert made.stat().st_mode & 0o777 == 0o700
