"""CPU per bot while it waits in the main session through the lecture, its placeholder card received by a
participant: most of a class's bot-minutes are spent so, before the rooms open and between rounds.

Every sample is a fresh farm on the fakes with the setup's settings (the product's defaults) and its bots as the
unprivileged user with the sandbox; the meeting's breakout rooms exist but stay closed, so each bot waits in the
main session with no avatar (nothing is billed). Once every bot is there, one lecturer joins the main session
with a moving camera and receives every bot's card; the bots settle (SETTLE_SECONDS) and their trees' CPU time is
read over WINDOW_SECONDS, with the frame rate the lecturer receives from each.

Variants, in the same run (their order rotated from run to run), so that the result is a ratio:
  * "avatarfarm": the card at its own rate (farm/room/bot_page_config.py, `placeholder_fps`);
  * "card at the camera's rate": the card drawn and sent at the camera's 25 fps, as before it had a rate of its
    own (the baseline).

`python -m tests.bench.waiting_bot --runs 1 --rooms 1` prints the result as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from farm.room import bot_page_config
from tests.bench.defaults import Setup, parse_setting
from tests.bench.probes import PROFESSOR, join_url_at
from tests.bench.process_stats import CpuWindow, bot_trees, no_bot_browsers
from tests.bench.room_measures import every_room
from tests.bench.spread import figure
from tests.bench.unprivileged import bench_node
from tests.bench.waiting import until
from tests.farm.harness import FarmStack, running_farm
from tests.support.browsers import launch, launch_options
from tests.support.media import moving_y4m

BASELINE = "card at the camera's rate"
VARIANTS = ("avatarfarm", BASELINE)
SETTLE_SECONDS = 10.0
WINDOW_SECONDS = 20.0
LECTURER = "Lecturer"

Say = Callable[[str], None]


@dataclass(frozen=True)
class Sample:
    variant: str
    rooms: int
    run: int
    cores_per_bot: float
    lecturer_fps: list[float]  # one per bot: the frame rate the lecturer receives of its card, at the window's end
    cores_by_thread: dict[str, float]  # all bots' threads over the window, per bot, by '<process> <thread>'


@contextlib.contextmanager
def _card_rate(variant: str) -> Iterator[None]:
    """The baseline's card at the camera's rate: the page config's default, changed for this farm only (it runs
    in this process, and nothing else reads the default meanwhile)."""
    if variant == "avatarfarm":
        yield
        return
    defaults = bot_page_config.DEFAULT_COMPOSITOR
    before = defaults["placeholder_fps"]
    defaults["placeholder_fps"] = defaults["fps"]
    try:
        yield
    finally:
        defaults["placeholder_fps"] = before


async def _lecturer_fps(stack: FarmStack, number: str) -> list[float]:
    """The frame rate the lecturer receives from each bot (0 for a bot not received yet)."""
    roster = await stack.zoom.roster(number)
    people = {p["name"]: p for p in roster["participants"]}
    streams = ((people.get(LECTURER) or {}).get("media") or {}).get("receiving") or []
    return [float(s.get("videoFps") or 0.0) for s in streams if str(s.get("name", "")).startswith(PROFESSOR)]


async def measure(
    variant: str,
    rooms: int,
    *,
    run: int = 0,
    settle: float = SETTLE_SECONDS,
    window: float = WINDOW_SECONDS,
    setup: Setup | None = None,
) -> Sample:
    """One sample: a fresh farm whose `rooms` bots wait in the main session, a lecturer receiving their cards."""
    from playwright.async_api import async_playwright

    setup = setup or Setup()
    await until(no_bot_browsers, 30, "the previous sample's bot browsers exit")
    names = [f"Room {i + 1}" for i in range(rooms)]
    with tempfile.TemporaryDirectory() as tmp, _card_rate(variant):
        async with (
            running_farm(
                Path(tmp),
                farm_options={"node": bench_node("bench", as_root=setup.as_root)},
                max_bots=max(6, rooms),
                **setup.settings,
            ) as stack,
            async_playwright() as playwright,
        ):
            number = await stack.meeting(names, open_rooms=False)
            created = await stack.start(number, names)
            await until(every_room(stack, created["id"], "in_main_session"), 60 + 40 * rooms, "bots in the meeting")
            browser = await launch(playwright, **launch_options(fake_video=moving_y4m(Path(tmp) / "lecturer.y4m")))
            try:
                page = await browser.new_page()
                await page.goto(join_url_at(stack.zoom.base_url, number, LECTURER, ""))  # no room: the main session

                async def every_card_received() -> bool:
                    rates = await _lecturer_fps(stack, number)
                    return len(rates) == rooms and all(rates)

                await until(every_card_received, 60 + 20 * rooms, "the lecturer receives every bot's card")
                await asyncio.sleep(settle)
                trees = bot_trees()
                if len(trees) != rooms:
                    raise RuntimeError(f"{variant}: {len(trees)} bot browser trees for {rooms} bot(s)")
                pids = [pid for tree in trees for pid in tree]
                cpu = CpuWindow(pids)
                await asyncio.sleep(window)
                cores, threads = cpu.end()
                fps = await _lecturer_fps(stack, number)
                if not await every_room(stack, created["id"], "in_main_session")():
                    raise RuntimeError(f"{variant}: a bot left the main session during the window")
            finally:
                await browser.close()
    return Sample(
        variant=variant,
        rooms=rooms,
        run=run,
        cores_per_bot=cores / rooms,
        lecturer_fps=fps,
        cores_by_thread={key: value / rooms for key, value in threads.items()},
    )


def summarize(samples: Sequence[Sample], rooms: Sequence[int]) -> dict[str, Any]:
    """Per room count and variant: the samples, the medians with their spread, and the ratio to the baseline."""
    by_rooms: dict[str, Any] = {}
    for count in rooms:
        figures: dict[str, Any] = {}
        for variant in VARIANTS:
            mine = [s for s in samples if s.rooms == count and s.variant == variant]
            figures[variant] = {
                "cores_per_bot": figure([s.cores_per_bot for s in mine]),
                "lecturer_fps": figure([fps for s in mine for fps in s.lecturer_fps]),
                "samples": [asdict(s) for s in mine],
            }
        ours, base = figures["avatarfarm"]["cores_per_bot"]["median"], figures[BASELINE]["cores_per_bot"]["median"]
        figures["avatarfarm"]["ratio_to_baseline"] = ours / base if ours is not None and base else None
        by_rooms[str(count)] = figures
    return by_rooms


async def waiting_bot_cost(
    runs: int,
    say: Say,
    rooms: Sequence[int] = (1, 3),
    *,
    settle: float = SETTLE_SECONDS,
    window: float = WINDOW_SECONDS,
    setup: Setup | None = None,
) -> dict[str, Any]:
    samples: list[Sample] = []
    for run in range(runs):
        for count in rooms:
            shift = run % len(VARIANTS)
            for variant in [*VARIANTS[shift:], *VARIANTS[:shift]]:
                sample = await measure(variant, count, run=run, settle=settle, window=window, setup=setup)
                samples.append(sample)
                fps = ", ".join(f"{v:.0f}" for v in sample.lecturer_fps)
                say(
                    f"  waiting bot, {count} room(s), {variant}, run {run + 1}/{runs}: "
                    f"{sample.cores_per_bot:.3f} cores per bot; the lecturer receives {fps} fps"
                )
    return {
        "placeholder_fps": bot_page_config.DEFAULT_COMPOSITOR["placeholder_fps"],
        "camera_fps": bot_page_config.DEFAULT_COMPOSITOR["fps"],
        "settle_s": settle,
        "window_s": window,
        "runs": runs,
        "baseline": BASELINE,
        "rooms": summarize(samples, rooms),
    }


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cli(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.waiting_bot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per room count and variant (medians reported)")
    parser.add_argument("--rooms", type=int, nargs="+", default=[1, 3], help="room counts")
    parser.add_argument("--settle", type=float, default=SETTLE_SECONDS, help="seconds before measuring")
    parser.add_argument("--window", type=float, default=WINDOW_SECONDS, help="seconds measured")
    parser.add_argument("--set", type=parse_setting, action="append", default=[], help="a setting: NAME=VALUE")
    args = parser.parse_args(argv)
    result = asyncio.run(
        waiting_bot_cost(
            args.runs, _say, args.rooms, settle=args.settle, window=args.window, setup=Setup(dict(args.set))
        )
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    cli()
