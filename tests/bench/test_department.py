"""The department benchmark: its figures (percentiles, growth per room-hour, the verdict against the goal), its
README rows, and one small class of simulated pages through a real manager, end to end (no figure asserted:
that the pages' reports reach the farm, the avatars start, and every marked line reaches its dashboard)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.bench.department import bounded, department, per_room_hour, percentile
from tests.bench.report import ROWS
from tests.bench.simulated_pages import Latencies


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(v) for v in range(1, 101)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_growth_is_extrapolated_per_room_and_hour() -> None:
    # 36 KiB in 60 s over 3 rooms: 12 KiB per room-minute, 720 KiB per room-hour.
    assert per_room_hour(36 * 1024, 3, 60.0) == pytest.approx(720 * 1024)
    assert per_room_hour(1024, 0, 60.0) is None


def _step(cores: float = 0.3, p99: float | None = 40.0, live: int = 20, hung: int = 0) -> dict[str, Any]:
    return {
        "classes": 1,
        "rooms": 20,
        "live_rooms": live,
        "live_s": 12.0,
        "window_s": 120.0,
        "hung_in_window": hung,
        "reports_per_s": 25.0,
        "webhooks_per_s": 4.0,
        "manager": {"cores": cores, "rss_mib": 180.0, "pss_mib": 150.0},
        "latency": {"p50_ms": 9.0, "p99_ms": p99, "count": 480},
        "database": {"bytes_per_room_hour": 2.5 * 1024 * 1024},
    }


def test_the_verdict_names_each_bound_against_the_goal() -> None:
    assert bounded(_step()) == []
    assert bounded(_step(cores=0.95, p99=400.0, live=12, hung=3)) == [
        "the manager used 0.95 cores",
        "p99 400 ms",
        "12 of 20 rooms live",
        "3 rooms called hung",
    ]
    assert bounded(_step(p99=None)) == ["no latency measured"]


def test_each_step_is_a_readme_row_with_its_verdict() -> None:
    quiet, busy = _step(), _step(cores=0.95, p99=400.0)
    busy["classes"], busy["rooms"] = 20, 400
    quiet["bounded_by"], busy["bounded_by"] = bounded(quiet), bounded(busy)
    rows = ROWS["department"]({"rooms_per_class": 20, "steps": {"20": busy, "1": quiet}})
    assert [row[0].split(" (")[0] for row in rows] == [
        "Control plane, 1 class of 20 rooms",
        "Control plane, 20 classes of 20 rooms",
    ]
    assert "p99 40 ms" in rows[0][1] and "within the goal" in rows[0][2]
    assert "SQLite +2560 KiB per room-hour" in rows[0][2]
    assert "the manager used 0.95 cores; p99 400 ms" in rows[1][2]


def test_a_line_is_timed_once_and_only_while_counting() -> None:
    latencies = Latencies()
    early = latencies.mark()
    latencies.arrived(f"before the window [m:{early}]")
    latencies.counting = True
    marker = latencies.mark()
    latencies.arrived(f"a line [m:{marker}]")
    latencies.arrived(f"the same line again [m:{marker}]")
    latencies.arrived("a line without a marker")
    assert len(latencies.seen_s) == 1 and not latencies.sent


async def test_a_class_of_simulated_pages_goes_live_and_reaches_its_dashboard() -> None:
    said: list[str] = []
    result = await asyncio.wait_for(department(said.append, (1,), rooms=2, steady_s=4.0, talk_every_s=2.0), timeout=150)
    step = result["steps"]["1"]
    assert step["all_live"] and step["live_rooms"] == 2, said
    assert step["hung_in_window"] == 0
    assert step["latency"]["count"] > 0, step  # marked lines went page → farm → SQLite → event stream
    kinds = step["event_kinds"]
    assert kinds.get("avatar.started") == 2 and kinds.get("transcript", 0) >= step["latency"]["count"]
    assert step["webhooks_per_s"] > 0
    assert step["database"]["grown_bytes"] >= 0
