"""The chaos itself: a random bot browser SIGKILLed every `kill_every` seconds, and between kills a burst of
LiveAvatar 500s or 429s on the session token (the farm's call) or session start (the page SDK's call)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.chaos.manager_process import ManagerProcess
from tests.chaos.report import Kill

SHORT_SECONDS = 30.0
SECONDS_VARIABLE = "AVATARFARM_CHAOS_SECONDS"
SEED_VARIABLE = "AVATARFARM_CHAOS_SEED"
# Each burst fails this many calls in a row: fewer than the farm's avatar failure budget (3), so a burst alone
# never ends a bot attempt, but two bursts on one room can.
BURST_CALLS = 2
BURSTS = (
    ("500", "/v1/sessions/token"),
    ("429", "/v1/sessions/start"),
    ("429", "/v1/sessions/token"),
    ("500", "/v1/sessions/start"),
)


@dataclass(frozen=True)
class CampaignPlan:
    seconds: float
    seed: int
    kill_every: float = 10.0
    rooms: tuple[str, ...] = ("Room 1", "Room 2", "Room 3", "Room 4")

    @classmethod
    def from_env(cls) -> CampaignPlan:
        seconds = float(os.environ.get(SECONDS_VARIABLE) or SHORT_SECONDS)
        seed = int(os.environ.get(SEED_VARIABLE) or random.SystemRandom().randrange(1, 1_000_000))
        return cls(seconds=seconds, seed=seed)

    @property
    def kills(self) -> int:
        return int(self.seconds // self.kill_every)

    def schedule(self) -> list[tuple[float, str]]:
        """(seconds from the start, "kill" | "burst"): kills at every interval, bursts half-way between them."""
        steps = [(self.kill_every * n, "kill") for n in range(1, self.kills + 1)]
        steps += [(self.kill_every * n - self.kill_every / 2, "burst") for n in range(1, self.kills + 1)]
        return sorted(steps)


async def run_chaos(plan: CampaignPlan, manager: ManagerProcess, la_admin: httpx.AsyncClient) -> list[Kill]:
    """Run the schedule against the current manager; returns the kills made (a tick with no browser to kill is
    skipped). Faults still armed at the end are disarmed."""
    rng = random.Random(plan.seed)
    kills: list[Kill] = []
    began = time.monotonic()
    bursts = 0
    for at, action in plan.schedule():
        await asyncio.sleep(max(0.0, began + at - time.monotonic()))
        if action == "kill":
            pids = manager.browsers()
            if pids:
                pid = rng.choice(pids)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue  # it ended on its own meanwhile
                kills.append(Kill(time.time(), pid))
        else:
            fault, path = BURSTS[bursts % len(BURSTS)]
            bursts += 1
            response = await la_admin.post(
                "/admin/faults", json={"method": "POST", "path": path, "fault": fault, "times": BURST_CALLS}
            )
            assert response.status_code == 200, response.text
    await asyncio.sleep(max(0.0, began + plan.seconds - time.monotonic()))
    return kills


async def disarm_faults(la_admin: httpx.AsyncClient) -> list[dict[str, Any]]:
    """The faults armed during the campaign, with how many calls each failed; then none is left armed."""
    listed = await la_admin.get("/admin/faults")
    assert listed.status_code == 200, listed.text
    faults: list[dict[str, Any]] = listed.json()["data"]
    cleared = await la_admin.delete("/admin/faults")
    assert cleared.status_code == 200, cleared.text
    return faults
