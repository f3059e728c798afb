"""When an xdist worker dies (a segfault or abort in native code: Chromium's driver, LiveKit's FFI), say where.

Each worker writes faulthandler's all-thread tracebacks to its own file; the controller prints that file when
it reports the worker down. Without this a worker's last words go to a stderr nobody reads and the run shows
only "node down: Not properly terminated"."""

from __future__ import annotations

import faulthandler
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import IO, Any

import pytest

_DIR_ENV = "AVATARFARM_TEST_CRASH_DIR"
_open_files: list[IO[str]] = []
_made: list[str] = []  # the directory this controller made, removed when the run ends


def _crash_file(worker: str) -> Path:
    return Path(os.environ[_DIR_ENV]) / f"{worker}.log"


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        if _DIR_ENV not in os.environ:
            _made.append(tempfile.mkdtemp(prefix="avatarfarm-test-crashes-"))
            os.environ[_DIR_ENV] = _made[-1]
        return
    if _DIR_ENV not in os.environ:
        return
    stream = _crash_file(worker).open("w")
    _open_files.append(stream)
    faulthandler.enable(stream, all_threads=True)
    # A SIGTERM (livekit's FFI sends one to its own process when it panics) leaves its mark, then kills as usual.
    faulthandler.register(signal.SIGTERM, stream, all_threads=True, chain=True)


def pytest_testnodedown(node: Any, error: object) -> None:
    if not error:
        return
    worker = node.gateway.id
    path = _crash_file(worker) if _DIR_ENV in os.environ else None
    text = path.read_text(errors="replace").strip() if path and path.exists() else ""
    reporter = node.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    reporter.write_line("")
    if text:
        reporter.write_line(f"[{worker}] its last tracebacks (faulthandler):")
        for line in text.splitlines()[-120:]:
            reporter.write_line(f"  {line}")
    else:
        reporter.write_line(f"[{worker}] died without a Python traceback: SIGKILL, or the kernel's OOM killer")


def pytest_unconfigure(config: pytest.Config) -> None:
    """The controller's directory goes when the run ends (a dead worker's file was printed as it died)."""
    while _made:
        shutil.rmtree(_made.pop(), ignore_errors=True)
