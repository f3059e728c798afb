"""The fakes' lifeline (fakes/serving.py): when the process that started a fake dies, the fake stops; when its
stop stalls, it is killed with its whole process group, so no child of it (a speech recogniser worker, an
espeak-ng) outlives it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from fakes.serving import ORPHAN_GRACE_S

# A fake-like process: leads its own group, has a child, ignores SIGTERM (a stop that stalls), holds a lifeline.
STALLING = """
import signal, subprocess, sys, time
from fakes.serving import _watch_lifeline
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(["sleep", "300"])
open(sys.argv[2], "w").write(str(child.pid))
_watch_lifeline(int(sys.argv[1]))
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def test_a_fake_whose_stop_stalls_is_killed_with_its_children_once_its_starter_is_gone(tmp_path: Path) -> None:
    read, write = os.pipe()
    child_file = tmp_path / "child"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        STALLING,
        str(read),
        str(child_file),
        pass_fds=(read,),
        start_new_session=True,
    )
    os.close(read)
    for _ in range(300):
        if child_file.exists() and child_file.read_text():
            break
        await asyncio.sleep(0.1)
    child = int(child_file.read_text())
    try:
        os.close(write)  # the starter is gone
        assert await asyncio.wait_for(process.wait(), ORPHAN_GRACE_S + 10) != 0
        for _ in range(50):
            if not _alive(child):
                break
            await asyncio.sleep(0.1)
        assert not _alive(child), "the fake's child outlived it"
    finally:
        for pid in (child, process.pid):
            if _alive(pid):
                os.kill(pid, 9)
        if process.returncode is None:
            await process.wait()
