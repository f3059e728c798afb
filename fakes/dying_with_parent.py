"""Start a child so that it dies with this process (Linux's PR_SET_PDEATHSIG), without running Python between
fork and exec here.

`preexec_fn` would set it in the forked child, but that runs Python code (and `ctypes` loads libc) in a copy of a
process whose other threads may hold locks at the fork: a LiveKit native thread, the dynamic loader's lock. The
child then waits for ever on a lock no thread of it will release, and `subprocess.Popen` waits for it (seen in
`tests/nodes`: a node's start hung a pytest worker until the run was killed). Here a fresh interpreter sets the
death signal and execs the command, so the child keeps the pid its starter knows."""

from __future__ import annotations

import os
import signal
import sys

_PR_SET_PDEATHSIG = 1

# argv: the signal, the parent's pid, then the command. Exits at once when that parent is already gone (the death
# signal is only sent for a parent that dies after it was set).
_TRAMPOLINE = (
    "import ctypes, os, sys; "
    f"ctypes.CDLL(None, use_errno=True).prctl({_PR_SET_PDEATHSIG}, int(sys.argv[1])); "
    "os.getppid() == int(sys.argv[2]) or os._exit(1); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)


def dying_with_this_process(command: list[str], death_signal: signal.Signals = signal.SIGKILL) -> list[str]:
    """`command`, started so that it gets `death_signal` when this process exits (Linux; elsewhere as it is).

    Linux sends it when the thread that started the child ends: a child started from a thread pool's thread (as
    `asyncio.to_thread` does) dies when the pool shuts its threads down, at the latest."""
    if not sys.platform.startswith("linux"):
        return command
    return [sys.executable, "-I", "-S", "-c", _TRAMPOLINE, str(int(death_signal)), str(os.getpid()), *command]
