"""make bench: Ctrl-C to `avatarfarm demo`'s exit, as a newcomer runs it: its rooms ready, then SIGINT, until the
demo's process has exited (its bots out of their meetings, its avatars stopped, its fakes stopped).

The demo bounds each part of its stop itself and says so when one is cut short (the test checks that none is);
how long the whole takes is this measure's."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.bench.defaults import Setup
from tests.bench.spread import figure
from tests.support.demo_process import demo_env, read_until, start_demo
from tests.support.ports import free_port

Say = Callable[[str], None]
READY = "Everything is ready."
CUT_SHORT = "did not stop within"


async def _one_run(rooms: int, setup: Setup, workdir: Path) -> tuple[float, bool]:
    """(seconds from SIGINT to exit, whether any part was cut short)."""
    env = demo_env(**{name: str(value) for name, value in setup.settings.items()})
    process = await start_demo(workdir / "demo", [free_port() for _ in range(3)], rooms, env)
    assert process.stdout is not None
    try:
        await read_until(process, READY, 300)
        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        rest = (await asyncio.wait_for(process.stdout.read(), 60)).decode(errors="replace")
        await asyncio.wait_for(process.wait(), 60)
        return time.monotonic() - started, CUT_SHORT in rest
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


async def demo_stop(runs: int, setup: Setup, say: Say, rooms: int = 2) -> dict[str, Any]:
    """Per run, a fresh demo (its own data directory and ports) with `rooms` rooms ready, then Ctrl-C."""
    samples: list[float] = []
    cut_short = 0
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            seconds, cut = await _one_run(rooms, setup, Path(tmp))
        samples.append(seconds)
        cut_short += cut
        say(f"demo stop run {run + 1}: {seconds:.1f}s{' (a part was cut short)' if cut else ''}")
    return {"exit_s": figure(samples), "rooms": rooms, "cut_short": cut_short}
