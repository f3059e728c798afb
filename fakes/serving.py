"""How a fake runs as a process (`avatarfarm fake-zoom`, `avatarfarm fake-liveavatar`): uvicorn on asyncio's own
event loop, a clean exit on SIGTERM or Ctrl-C, and, when its starter hands it a lifeline, an end when that starter
dies, however it died.

Why not uvloop: uvloop runs the interpreter's after-fork code (PyOS_AfterFork_Child) in every child it spawns,
before exec (uvloop issue #749). Under Python 3.11 that code takes the runtime's thread-state lock before it
re-initialises it; the fake LiveAvatar's LiveKit SDK enters Python from its native threads all the time (each
callback creates and deletes a thread state under that lock), so a fork that lands while one of them holds it
leaves a child that waits forever, and uvloop's spawn waits for that child's exec with the GIL held: the whole
service froze (seen in the demo when a resumed avatar spoke). asyncio's own loop spawns through
`_posixsubprocess`, which runs no Python between fork and exec. uvloop bought the fakes nothing measurable: the
fake LiveAvatar streaming 3 avatar sessions used 0.117 cores on asyncio's loop and 0.113 on uvloop (medians of
2 runs of 20 s, `python -m tests.bench.fake_event_loop`).

The lifeline is the read end of a pipe whose write end only the starter holds: when the starter exits, even by
SIGKILL, the pipe reaches end-of-file, and the fake stops as on SIGTERM (or, when that stalls, is killed with its
process group).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
import time
from types import FrameType
from typing import Any

import uvicorn

EVENT_LOOP = "asyncio"
LIFELINE_HELP = (
    "the read end of a pipe held by the process that started this one: stop when it closes (that process exited)"
)
# How long a fake whose starter died may take to stop cleanly before it exits without cleaning up.
ORPHAN_GRACE_S = 5.0
# How long an idle connection is kept open. uvicorn's default (5 s) equals httpx's pool expiry, so a client could
# reuse a connection at the moment the server closed it (a ReadError on a request that never reached the
# server); hosted services keep theirs for a minute or more.
KEEP_ALIVE_S = 75


def serve(app: Any, *, host: str, port: int, log_level: str, lifeline: int | None = None) -> int:
    """Run `app` until SIGTERM or Ctrl-C (exit status 0), or until the lifeline's other end closes."""
    if lifeline is not None:
        _watch_lifeline(lifeline)
    # uvicorn handles SIGINT/SIGTERM itself (stop accepting, close connections, run the lifespan exit) and then
    # re-raises the signal to whatever handler was installed before it; a no-op one makes a requested stop exit 0.
    previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=log_level,
            lifespan="on",
            loop=EVENT_LOOP,
            timeout_keep_alive=KEEP_ALIVE_S,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _skip_collections_at_exit()
    return 0


def _skip_collections_at_exit() -> None:
    """The service has stopped: spare the interpreter's exit its garbage collections.

    CPython's finalisation collects garbage after each phase of tearing down its modules; over the fake
    LiveAvatar's 115,000 objects that was 0.5 s of CPU (perf: gc_collect_main), the most of its stop, and seconds
    on a loaded machine, where the demo gives each fake 3 s. Frozen objects are left out of every collection;
    the memory goes back with the process."""
    gc.freeze()


def _stopped(signum: int, frame: FrameType | None) -> None:
    return None


def _watch_lifeline(fd: int) -> None:
    os.set_inheritable(fd, False)  # this process's own children must not hold the starter's pipe

    def watch() -> None:
        with contextlib.suppress(OSError):
            while os.read(fd, 1):
                pass
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(ORPHAN_GRACE_S)
        # Still here: its children (a speech recogniser worker, espeak-ng) would outlive an exit of this process
        # alone. The demo starts each fake as the leader of its own process group: the whole group goes.
        if os.getpgrp() == os.getpid():
            os.killpg(0, signal.SIGKILL)
        os._exit(1)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()
