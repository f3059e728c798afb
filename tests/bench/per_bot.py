"""Per-bot cost side by side with a naive baseline: CPU (cores) and PSS (MiB) of the bots' whole Chromium trees per
bot, for 1, 3 and 6 rooms with one student receiving in each, in steady state, as medians over runs.

Every sample is a fresh farm on the fakes (the fake avatar at 25 fps, at the setup's quality: `medium`, 854×480,
by default) with the setup's settings (tests/bench/defaults.py) and its bots as the unprivileged user with the
sandbox (tests/bench/unprivileged.py); once its bots are in their rooms, one student Chromium (not counted: it
carries no owner marker) opens one page per room, each joining its room with a moving camera; the rooms go live
(at AVATAR_START=on_human, because the students came); once every student receives the bot's video, the bots
settle (SETTLE_SECONDS, past where the soak's memory stops rising) and their trees' CPU time is read over
WINDOW_SECONDS and their PSS READINGS times over it, the median of those reported (tests/bench/process_stats; at
the window's start too). The students' received frame rate is read too, so a variant that
is cheap because it is broken shows. Where memory goes over minutes is tests/bench/soak.py's measure.

Variants, all in the same run (their order rotated from run to run) so that the result is a ratio:
  * "avatarfarm": the farm's default node, one Chromium per bot with BOT_ARGS;
  * "naive": one Chromium per bot with Playwright's defaults and none of our bot flags (bot_args=()). Only
    farm/browsers/chromium.base_args still applies: without its closed-network flags Chromium floods a network-less
    machine with refused connections, without its fake-media flags it waits on a permission prompt nobody
    answers, and without --disable-dev-shm-usage it does not start in a container;
  * "shared browser": every bot in its own BrowserContext of one Chromium with BOT_ARGS
    (tests/bench/shared_browser.py); its one tree is counted once and divided by the bots.

`python -m tests.bench.per_bot --runs 1 --rooms 1 3` prints the result as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from farm.browsers.browser_node import PlaywrightNode
from tests.bench.defaults import AVATAR_FPS, Setup, parse_setting
from tests.bench.probes import all_live, join_url, received_fps
from tests.bench.process_stats import CpuWindow, bot_trees, by_process_kind, no_bot_browsers, pss_mib
from tests.bench.room_measures import every_room
from tests.bench.spread import figure
from tests.bench.unprivileged import BENCH_UID, bench_node, needed, sandbox_in_force
from tests.bench.waiting import until
from tests.farm.harness import running_farm
from tests.support.browsers import launch

VARIANTS = ("avatarfarm", "naive", "shared browser")
BASELINE = "naive"
# In the memory soak (tests/bench/soak.py, 2026-12-08) a bot's renderer grows from 100 to 124 MiB over the two
# minutes after its student first receives the avatar and then holds, while the whole tree swings by tens of MiB
# from one reading to the next (Chromium frees and refills its caches). So the window opens two and a half
# minutes in, on the plateau, and its PSS is the median of several readings rather than one.
SETTLE_SECONDS = 150.0
WINDOW_SECONDS = 30.0
READINGS = 6  # the students' received frame rate and the bots' PSS, read this many times over the window

Say = Callable[[str], None]


@dataclass(frozen=True)
class Sample:
    variant: str
    rooms: int
    run: int
    bots: int
    browser_trees: int
    processes: int
    cores_per_bot: float
    pss_mib_per_bot: float  # the median of the readings over the window
    pss_mib_per_bot_at_start: float  # at its start: a difference says the bots are not in steady state yet
    student_fps: list[float]  # one per student: the median of its readings over the window
    by_process_kind: dict[str, dict[str, float]]  # all bots' processes at the window's end: count and PSS per kind
    sandbox_checked: bool | None = None  # renderers seen as the unprivileged user under seccomp (None: not dropped)
    cores_by_thread: dict[str, float] | None = None  # all bots' threads over the window, by '<process> <thread>'


def node_for(variant: str, *, as_root: bool = False) -> PlaywrightNode:
    if variant == "avatarfarm":
        return bench_node("bench", as_root=as_root)
    if variant == "naive":
        return bench_node("naive", as_root=as_root, bot_args=())
    if variant == "shared browser":
        return bench_node("shared", as_root=as_root, shared=True)
    raise ValueError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")


def expected_trees(variant: str, bots: int) -> int:
    return 1 if variant == "shared browser" else bots


def _student(index: int) -> str:
    return f"Student {index + 1}"


async def measure(
    variant: str,
    rooms: int,
    *,
    run: int = 0,
    settle: float = SETTLE_SECONDS,
    window: float = WINDOW_SECONDS,
    setup: Setup | None = None,
) -> Sample:
    """One sample: a fresh farm with `rooms` live bots on `variant`'s node and one student receiving in each."""
    from playwright.async_api import async_playwright

    from tests.support.browsers import launch_options
    from tests.support.media import moving_y4m

    setup = setup or Setup()
    # The previous sample's browsers must be gone, or their trees would be counted here.
    await until(no_bot_browsers, 30, "the previous sample's bot browsers exit")
    names = [f"Room {i + 1}" for i in range(rooms)]
    students = [_student(i) for i in range(rooms)]
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            running_farm(
                Path(tmp),
                liveavatar_config={"avatar_fps": AVATAR_FPS},
                farm_options={"node": node_for(variant, as_root=setup.as_root)},
                max_bots=max(6, rooms),
                **setup.settings,
            ) as stack,
            async_playwright() as playwright,
        ):
            number = await stack.meeting(names)
            created = await stack.start(number, names)

            ready = every_room(stack, created["id"], "in_room", "live")
            await until(ready, 60 + 40 * rooms, f"{rooms} bot(s) in their rooms")
            video = moving_y4m(Path(tmp) / "student.y4m")
            browser = await launch(playwright, **launch_options(fake_video=video))
            try:
                for name, student in zip(names, students, strict=True):
                    page = await browser.new_page()
                    await page.goto(join_url(stack, number, student, name))
                await until(all_live(stack, created["id"]), 60 + 20 * rooms, f"{rooms} room(s) live")

                async def every_student_sees_the_bot() -> bool:
                    return all((await received_fps(stack, number, students)).values())

                await until(every_student_sees_the_bot, 60 + 20 * rooms, "every student receives its bot's video")
                await asyncio.sleep(settle)

                trees = bot_trees()
                if len(trees) != expected_trees(variant, rooms):
                    raise RuntimeError(f"{variant}: {len(trees)} bot browser trees for {rooms} bot(s)")
                pids = [pid for tree in trees for pid in tree]
                memory_at_start = pss_mib(pids)
                readings: dict[str, list[float]] = {student: [] for student in students}
                memory_readings: list[float] = []
                cpu = CpuWindow(pids)
                for _ in range(READINGS):
                    await asyncio.sleep(window / READINGS)
                    for student, fps in (await received_fps(stack, number, students)).items():
                        readings[student].append(fps or 0.0)
                    pids = [pid for tree in bot_trees() for pid in tree]
                    memory_readings.append(pss_mib(pids))
                cores, threads = cpu.end()
                sandboxed = sandbox_in_force(pids, BENCH_UID) if needed() and not setup.as_root else None
                memory = statistics.median(memory_readings)
                kinds = by_process_kind(pids)
            finally:
                await browser.close()
    return Sample(
        variant=variant,
        rooms=rooms,
        run=run,
        bots=rooms,
        browser_trees=len(trees),
        processes=len(pids),
        cores_per_bot=cores / rooms,
        pss_mib_per_bot=memory / rooms,
        pss_mib_per_bot_at_start=memory_at_start / rooms,
        student_fps=[statistics.median(readings[s]) for s in students],
        by_process_kind=kinds,
        sandbox_checked=sandboxed,
        cores_by_thread={key: value / rooms for key, value in threads.items()},
    )


def _ratio(value: float | None, baseline: float | None) -> float | None:
    return value / baseline if value is not None and baseline else None


def summarize(samples: Sequence[Sample], rooms: Sequence[int], variants: Sequence[str] = VARIANTS) -> dict[str, Any]:
    """Per room count and variant: the samples, their medians with their spread (tests/bench/spread.figure) and
    the medians' ratio to the naive baseline."""
    by_rooms: dict[str, Any] = {}
    for count in rooms:
        figures: dict[str, Any] = {}
        for variant in variants:
            mine = [s for s in samples if s.rooms == count and s.variant == variant]
            figures[variant] = {
                "cores_per_bot": figure([s.cores_per_bot for s in mine]),
                "pss_mib_per_bot": figure([s.pss_mib_per_bot for s in mine]),
                "student_fps": figure([fps for s in mine for fps in s.student_fps]),
                "samples": [asdict(s) for s in mine],
            }
        baseline = figures.get(BASELINE, {})
        for variant in variants:
            figures[variant]["ratio_to_naive"] = {
                field: _ratio(figures[variant][field]["median"], (baseline.get(field) or {}).get("median"))
                for field in ("cores_per_bot", "pss_mib_per_bot")
            }
        by_rooms[str(count)] = figures
    return by_rooms


async def per_bot_cost(
    runs: int,
    say: Say,
    rooms: Sequence[int] = (1, 3, 6),
    *,
    variants: Sequence[str] = VARIANTS,
    settle: float = SETTLE_SECONDS,
    window: float = WINDOW_SECONDS,
    shared_rooms: Sequence[int] | None = None,
    setup: Setup | None = None,
) -> dict[str, Any]:
    """Medians over `runs` runs of per-bot CPU and PSS for each room count and variant (see the module's doc);
    the shared browser only at `shared_rooms` when given (the comparison needs one count, the run is long)."""
    samples: list[Sample] = []
    for run in range(runs):
        for count in rooms:
            here = [v for v in variants if v != "shared browser" or shared_rooms is None or count in shared_rooms]
            shift = run % len(here)
            for variant in [*here[shift:], *here[:shift]]:
                sample = await measure(variant, count, run=run, settle=settle, window=window, setup=setup)
                samples.append(sample)
                fps = ", ".join(f"{v:.0f}" for v in sample.student_fps)
                say(
                    f"  per-bot cost, {count} room(s), {variant}, run {run + 1}/{runs}: "
                    f"{sample.cores_per_bot:.2f} cores, {sample.pss_mib_per_bot:.0f} MiB PSS per bot "
                    f"({sample.processes} processes in {sample.browser_trees} tree(s)); students receive {fps} fps"
                )
    return {
        "avatar_fps": AVATAR_FPS,
        "settle_s": settle,
        "window_s": window,
        "runs": runs,
        "baseline": BASELINE,
        "rooms": summarize(samples, rooms, variants),
    }


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cli(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.per_bot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per room count and variant (medians reported)")
    parser.add_argument("--rooms", type=int, nargs="+", default=[1, 3, 6], help="room counts, one student each")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS), help="nodes to compare")
    parser.add_argument("--settle", type=float, default=SETTLE_SECONDS, help="seconds before measuring")
    parser.add_argument("--window", type=float, default=WINDOW_SECONDS, help="seconds measured")
    parser.add_argument("--set", type=parse_setting, action="append", default=[], help="a setting: NAME=VALUE")
    args = parser.parse_args(argv)
    setup = Setup(dict(args.set))
    result = asyncio.run(
        per_bot_cost(
            args.runs, _say, args.rooms, variants=args.variants, settle=args.settle, window=args.window, setup=setup
        )
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    cli()
