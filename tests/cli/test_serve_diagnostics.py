"""What a server that does not come up leaves to go on: its log says each step of its start and how long it
took, and SIGUSR1 writes every thread's Python stack to it (api/cli.py, farm/startup_log.py)."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.support.manager_process import ManagerProcess
from tests.support.polling import until


async def test_the_log_says_each_step_of_the_start_and_sigusr1_dumps_the_stacks(tmp_path: Path) -> None:
    # No fake Zoom or LiveAvatar: /healthz answers once the start is done.
    manager = ManagerProcess(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9", ready="/healthz")
    try:
        await manager.start()
        log = manager.log.read_text()
        for step in ("database", "orphaned browsers", "browser nodes", "sessions reconciled", "farm"):
            assert f"starting: {step}…" in log, log
            assert f"started: {step} (" in log, log
        manager.send(signal.SIGUSR1)

        async def stacks_written() -> bool:
            return "most recent call first" in manager.log.read_text()

        await until(stacks_written, 10, "the threads' stacks in the log")
        assert manager.process is not None and manager.process.returncode is None  # it serves on
    finally:
        await manager.stop()
