"""`make bench`: how fast and how heavy the farm is, on the fakes, on this machine, at the product's defaults.

Every measure is the median of independent runs (each a fresh farm), reported with its spread:
  * POST /api/sessions → every bot in its room (1 and 3 rooms) (tests/bench/room_measures.py);
  * CPU (cores) and memory (PSS) per bot with a student receiving in every room, for 1, 3 and 6 rooms, side by
    side with a naive baseline (Playwright's defaults, none of our flags) and with one shared Chromium holding a
    BrowserContext per room (tests/bench/per_bot.py);
  * CPU per bot while bots wait in the main session, a lecturer receiving their placeholder cards, for 1 and 3
    rooms, side by side with the card at the camera's rate (tests/bench/waiting_bot.py);
  * memory over a soak of one bot with a student (tests/bench/soak.py);
  * glass-to-glass video latency, from the avatar's frame to the student's screen, and the largest number of
    rooms whose students all receive ≥ 20 fps (tests/bench/glass.py);
  * the frame rate a participant receives from a bot, and say-to-hear latency;
  * recovery after `kill -9` of a bot's browser; a student's wait from entering the room to the avatar seen and
    heard; SIGTERM to the manager's exit; Ctrl-C to `avatarfarm demo`'s exit (tests/bench/demo_stop.py);
  * browser nodes: 6 bots in their rooms on two nodes against one, recovery after SIGKILL of a node;
  * course materials: the passage a question needs in the avatar's context (tests/bench/materials.py);
  * the control plane at department scale: 1, 5, 10 and 20 classes of 20 rooms, each bot a simulated page, with
    dashboards and webhooks on: the manager's CPU and memory, report → dashboard latency, SQLite's growth per
    room-hour (tests/bench/department.py; `--classes` and `--window` for a smaller run).

At the product's defaults (tests/bench/defaults.py) with the bot browsers as an unprivileged user with their
sandbox (tests/bench/unprivileged.py); `--set NAME=VALUE` and `--as-root` give labelled extra rows. Each measure
is written to tests/bench/results.json with its provenance as soon as it is done (tests/bench/results_file.py);
`--only` measures some and leaves every other entry as it was; README's table and per-bot prose and the browser
nodes' manifest comment are then regenerated from results.json (tests/bench/report.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench import report, results_file
from tests.bench.defaults import Setup, parse_setting
from tests.bench.demo_stop import demo_stop
from tests.bench.department import STEADY_S, STEPS, department
from tests.bench.glass import glass_to_glass, rooms_at_20_fps_runs
from tests.bench.materials import measure as materials_hit_rate
from tests.bench.per_bot import per_bot_cost
from tests.bench.provenance import provenance, provenance_date
from tests.bench.room_measures import media_and_latency, recovery, shutdown, student_arrival, time_to_ready
from tests.bench.soak import soak
from tests.bench.spread import figure
from tests.bench.unprivileged import user_description
from tests.bench.waiting_bot import waiting_bot_cost

Say = Callable[[str], None]
SOAK_MINUTES = 20.0  # long enough that its second half alone (10 min) is a plateau or is not


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


async def node_measures(runs: int, setup: Setup, say: Say) -> dict[str, Any]:
    from tests.bench.nodes import recovery_after_node_kill, time_to_live_on_nodes

    say("browser nodes: 6 bots in their rooms on one node, then on two")
    one = await time_to_live_on_nodes(1, runs, say, setup)
    two = await time_to_live_on_nodes(2, runs, say, setup)
    say("browser nodes: recovery after SIGKILL of a node")
    back = await recovery_after_node_kill(runs, say, setup)
    return {"one_node_s": figure(one), "two_nodes_s": figure(two), "node_recovery_s": figure(back)}


@dataclass(frozen=True)
class Measure:
    run: Callable[[int, Setup, Say], Awaitable[Any]]
    # Where its bot browsers run: "bench" (this farm's, dropped to the unprivileged user), "process" (in
    # `avatarfarm serve`/`node` processes of this user), "none" (no browser: settings do not apply), "simulated"
    # (no browser: simulated pages; the farm's settings apply).
    browsers: str = "bench"
    runs: int | None = None  # fixed number of runs (the soak is one long run; materials is deterministic)


MEASURES: dict[str, Measure] = {
    "time_to_live_1": Measure(lambda runs, setup, say: time_to_ready(1, runs, setup, say)),
    "time_to_live_3": Measure(lambda runs, setup, say: time_to_ready(3, runs, setup, say)),
    "per_bot": Measure(lambda runs, setup, say: per_bot_cost(runs, say, (1, 3, 6), shared_rooms=(3,), setup=setup)),
    "waiting_bot": Measure(lambda runs, setup, say: waiting_bot_cost(runs, say, (1, 3), setup=setup)),
    "memory_soak": Measure(
        lambda runs, setup, say: soak(SOAK_MINUTES, say, as_root=setup.as_root, **setup.changes), runs=1
    ),
    "glass_to_glass_s": Measure(lambda runs, setup, say: glass_to_glass(runs, say, setup)),
    "rooms_at_20_fps": Measure(lambda runs, setup, say: rooms_at_20_fps_runs(runs, say, setup)),
    "media": Measure(media_and_latency),
    "recovery_s": Measure(recovery),
    "student_arrival": Measure(student_arrival),
    "shutdown_s": Measure(shutdown, browsers="process"),
    "demo_stop_s": Measure(demo_stop, browsers="process"),
    "nodes": Measure(node_measures, browsers="process"),
    "materials": Measure(lambda runs, setup, say: materials_hit_rate(say), browsers="none", runs=1),
}


def department_measure(classes: tuple[int, ...] = STEPS, window_s: float = STEADY_S) -> Measure:
    """One run of every step (each is minutes long); the settings changed by --set go to its manager."""
    return Measure(
        lambda runs, setup, say: department(say, classes, steady_s=window_s, changes=setup.changes),
        browsers="simulated",
        runs=1,
    )


MEASURES["department"] = department_measure()


def _user(measure: Measure, setup: Setup) -> str:
    if measure.browsers == "none":
        return "(no browser)"
    if measure.browsers == "simulated":
        return "(no browser: simulated pages)"
    if measure.browsers == "process":
        return user_description(as_root=os.geteuid() == 0)
    return user_description(as_root=setup.as_root)


def _label(measure: Measure, setup: Setup) -> str:
    if measure.browsers == "none":
        return ""
    if measure.browsers == "simulated":
        return Setup(setup.changes).label
    if measure.browsers == "process" and os.geteuid() == 0 and not setup.as_root:
        return ", ".join(filter(None, [setup.label, "root (processes of their own)"]))
    return setup.label


async def main(runs: int, setup: Setup, only: list[str] | None, results_path: Path) -> dict[str, Any]:
    what = f"extra: {setup.label}" if setup.label else "the product's defaults"
    say(f"benchmark: {runs} run(s) per measure; settings {setup.settings}, {what}")
    results = results_file.load(results_path)
    for name, measure in MEASURES.items():
        if only and name not in only:
            continue
        n = measure.runs or runs
        say(f"{name}:")
        load_before = os.getloadavg()[0]
        settings = {} if measure.browsers == "none" else setup.settings
        before = provenance(user=_user(measure, setup), settings=settings, runs=n)  # the code as it was run
        result = await measure.run(n, setup, say)
        prov = {**before, "date": provenance_date(), "load_average": [load_before, os.getloadavg()[0]]}
        label = _label(measure, setup)
        results = results_file.merge(
            results, {results_file.key(name, label): results_file.entry(name, label, prov, result)}
        )
        results_file.save(results_path, results)  # at once: a later measure's failure keeps this one
    return results


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="independent runs per measure (medians reported)")
    parser.add_argument("--only", nargs="+", choices=list(MEASURES), help="run these; the others keep their entries")
    parser.add_argument("--set", type=parse_setting, action="append", default=[], help="an extra row: NAME=VALUE")
    parser.add_argument("--as-root", action="store_true", help="an extra row: bot browsers as root, no sandbox")
    parser.add_argument("--results", type=Path, default=report.RESULTS, help="where results go (a smoke run: /tmp/…)")
    steps = " ".join(map(str, STEPS))
    parser.add_argument(
        "--classes", type=int, nargs="+", help=f"department: these numbers of classes (default {steps})"
    )
    parser.add_argument("--window", type=float, help=f"department: seconds of steady state per step ({STEADY_S:g})")
    parser.add_argument("--no-readme", action="store_true", help="do not regenerate README and the manifest")
    args = parser.parse_args()
    setup = Setup(dict(args.set), as_root=args.as_root)
    if args.classes or args.window:
        MEASURES["department"] = department_measure(tuple(args.classes or STEPS), args.window or STEADY_S)
    results = asyncio.run(main(args.runs, setup, args.only, args.results))
    print("\n" + report.table(results))
    if not args.no_readme and args.results.resolve() == report.RESULTS.resolve():
        report.write(results)
    say(f"results written to {args.results}")


if __name__ == "__main__":
    cli()
