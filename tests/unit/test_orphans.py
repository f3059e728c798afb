"""What a killed manager or node leaves behind. A bot's browser is its marked main process only — not its helpers,
and not a child caught between fork and exec, which still carries its parent's command line (a fresh-clone CI run
once counted three browsers on a node that had two); a node's socket directory is removed once its node is gone."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from farm.browsers.orphans import (
    MARKER,
    NODE_DIR_PREFIX,
    browsers_of,
    node_socket_dir,
    orphaned_browsers,
    remove_orphaned_node_dirs,
)

CHROMIUM = "/usr/lib/chromium/chromium"


def _process(proc: Path, pid: int, parent: int, *argv: str) -> None:
    entry = proc / str(pid)
    entry.mkdir()
    (entry / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (entry / "stat").write_text(f"{pid} (chromium (x) y) S {parent} {pid} {pid} 0 -1 4194560\n")


def test_a_browser_is_its_marked_main_process_not_its_helpers_nor_a_child_between_fork_and_exec(
    tmp_path: Path,
) -> None:
    driver, gone = os.getpid(), 999_999_999  # the driver must be alive: orphans are told by their owner
    _process(tmp_path, driver, 1, "node", "cli.js", "run-driver")
    _process(tmp_path, 4101, driver, CHROMIUM, f"{MARKER}{driver}", "--headless")
    _process(tmp_path, 4102, 4101, CHROMIUM, f"{MARKER}{driver}", "--headless")  # forked, not yet exec'd
    _process(tmp_path, 4103, 4101, CHROMIUM, "--type=zygote", f"{MARKER}{driver}")
    _process(tmp_path, 4201, driver, CHROMIUM, f"{MARKER}{driver}", "--headless")
    _process(tmp_path, 5101, 1, CHROMIUM, f"{MARKER}{gone}", "--headless")  # its manager died
    _process(tmp_path, 5102, 5101, CHROMIUM, f"{MARKER}{gone}", "--headless")
    (tmp_path / "self").mkdir()

    assert sorted(browsers_of(driver, tmp_path)) == [4101, 4201]
    assert orphaned_browsers(tmp_path) == [5101]
    assert browsers_of(gone, tmp_path) == [5101]


def test_a_process_that_vanishes_while_it_is_read_is_skipped(tmp_path: Path) -> None:
    _process(tmp_path, 4101, 1, CHROMIUM, f"{MARKER}4000")
    (tmp_path / "4101" / "stat").unlink()
    assert browsers_of(4000, tmp_path) == []


def test_a_node_removes_the_socket_directories_of_nodes_that_are_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead, alive = 999_999_999, os.getppid()
    for name in (
        f"{NODE_DIR_PREFIX}{dead}-ab12",
        f"{NODE_DIR_PREFIX}{os.getpid()}-cd34",
        f"{NODE_DIR_PREFIX}{alive}-ef56",
    ):
        (tmp_path / name).mkdir()
        (tmp_path / name / "playwright.sock").touch()
    (tmp_path / f"{NODE_DIR_PREFIX}x1y2z3").mkdir()  # not ours: left

    removed = remove_orphaned_node_dirs()

    assert sorted(p.name for p in removed) == sorted(
        [f"{NODE_DIR_PREFIX}{dead}-ab12", f"{NODE_DIR_PREFIX}{os.getpid()}-cd34"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{NODE_DIR_PREFIX}{alive}-ef56", f"{NODE_DIR_PREFIX}x1y2z3"]
    )
    made = Path(node_socket_dir())
    assert made.parent == tmp_path and made.name.startswith(f"{NODE_DIR_PREFIX}{os.getpid()}-")
    assert made.stat().st_mode & 0o777 == 0o700
