"""Benchmarks of browser nodes (`avatarfarm node` processes on their own loopback addresses): time from
POST /api/sessions until 6 bots are in their breakout rooms on one node and on two, and the time until the
bots of a SIGKILLed node are back in their rooms on the other. Every run starts fresh nodes and a fresh farm.
The node processes run as this process's user: as root, their browsers run without the sandbox."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.bench.defaults import Setup
from tests.bench.waiting import until
from tests.farm.harness import FarmStack, running_farm
from tests.nodes.harness import browser_nodes, farm_node_settings
from tests.nodes.test_farm_on_nodes import IN_ROOM

ROOMS = 6


def _in_rooms(stack: FarmStack, session_id: str, avoid: str | None = None) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        rooms = (await stack.session(session_id))["rooms"]
        return all(r["status"] in IN_ROOM and r["node"] != avoid for r in rooms)

    return check


async def time_to_live_on_nodes(
    nodes: int, runs: int, say: Callable[[str], None], setup: Setup | None = None
) -> list[float]:
    names = [f"Room {i + 1}" for i in range(ROOMS)]
    samples = []
    for run in range(runs):
        with browser_nodes(nodes, max_bots=ROOMS // nodes) as started, tempfile.TemporaryDirectory() as tmp:
            settings = {**(setup or Setup()).settings, **farm_node_settings(started, retry_budget=3)}
            async with running_farm(Path(tmp), **settings) as stack:
                number = await stack.meeting(names)
                began = time.monotonic()
                created = await stack.start(number, names)
                await until(_in_rooms(stack, created["id"]), 240)
                samples.append(time.monotonic() - began)
        say(f"  {ROOMS} rooms on {nodes} node(s), run {run + 1}/{runs}: bots in rooms after {samples[-1]:.2f}s")
    return samples


async def recovery_after_node_kill(runs: int, say: Callable[[str], None], setup: Setup | None = None) -> list[float]:
    """Per run: two rooms on two fresh nodes (a room per node, each node able to take both); one node is
    SIGKILLed; until both bots are in their rooms on the other."""
    names = ["Room 1", "Room 2"]
    samples = []
    for run in range(runs):
        with browser_nodes(2, max_bots=2) as nodes, tempfile.TemporaryDirectory() as tmp:
            settings = {**(setup or Setup()).settings, **farm_node_settings(nodes, retry_budget=3)}
            async with running_farm(Path(tmp), **settings) as stack:
                number = await stack.meeting(names)
                created = await stack.start(number, names)
                await until(_in_rooms(stack, created["id"]), 180)
                first = (await stack.session(created["id"]))["rooms"][0]["node"]
                victim = next(node for node in nodes if node.name == first)
                killed = time.monotonic()
                victim.kill()
                await until(_in_rooms(stack, created["id"], avoid=victim.name), 180)
                samples.append(time.monotonic() - killed)
        say(f"  node recovery run {run + 1}/{runs}: back in rooms {samples[-1]:.2f}s after SIGKILL of a node")
    return samples
