"""Benchmarks of browser nodes (`avatarfarm node` processes on their own loopback addresses): time from
POST /api/sessions to 6 rooms live on one node and on two, and the time until the rooms of a SIGKILLed node
are live again on the other."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.farm.harness import running_farm
from tests.nodes.harness import browser_nodes, farm_node_settings

ROOMS = 6


async def time_to_live_on_nodes(nodes: int, runs: int, say: Callable[[str], None]) -> list[float]:
    from tests.bench.__main__ import _live, _until

    names = [f"Room {i + 1}" for i in range(ROOMS)]
    samples = []
    for run in range(runs):
        with browser_nodes(nodes, max_bots=ROOMS // nodes) as started, tempfile.TemporaryDirectory() as tmp:
            async with running_farm(Path(tmp), **farm_node_settings(started, retry_budget=3)) as stack:
                number = await stack.meeting(names)
                began = time.monotonic()
                created = await stack.start(number, names)
                await _until(_live(stack, created["id"]), 240)
                samples.append(time.monotonic() - began)
        say(f"  {ROOMS} rooms on {nodes} node(s), run {run + 1}/{runs}: all live after {samples[-1]:.2f}s")
    return samples


async def recovery_after_node_kill(runs: int, say: Callable[[str], None]) -> list[float]:
    """Two rooms on two nodes (room per node, each node able to take both); one node is SIGKILLed."""
    from tests.bench.__main__ import _live, _until

    names = ["Room 1", "Room 2"]
    samples = []
    with browser_nodes(2, max_bots=2) as nodes, tempfile.TemporaryDirectory() as tmp:
        async with running_farm(Path(tmp), **farm_node_settings(nodes, retry_budget=3)) as stack:
            number = await stack.meeting(names)
            created = await stack.start(number, names)
            for run in range(runs):
                await _until(_live(stack, created["id"]), 180)
                first = (await stack.session(created["id"]))["rooms"][0]["node"]
                victim = next(node for node in nodes if node.name == first)
                killed = time.monotonic()
                victim.kill()

                async def moved(gone: str = victim.name) -> bool:
                    session = await stack.session(created["id"])
                    return all(r["status"] == "live" and r["node"] != gone for r in session["rooms"])

                await _until(moved, 180)
                samples.append(time.monotonic() - killed)
                say(f"  node recovery run {run + 1}/{runs}: live again {samples[-1]:.2f}s after SIGKILL of a node")
                victim.start()  # back for the next run
    return samples
