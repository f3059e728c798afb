"""Which processes count as a bot's browser: the marked main process only — not its helpers, and not a child
caught between fork and exec, which still carries its parent's command line (a fresh-clone CI run once
counted three browsers on a node that had two)."""

from __future__ import annotations

import os
from pathlib import Path

from farm.browsers.orphans import MARKER, browsers_of, orphaned_browsers

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
