"""Memory over time: one bot at the product's defaults with a student in its room who receives the avatar and
asks a question about once a minute (so the avatar stays on: it pauses after AVATAR_IDLE_MINUTES of silence),
for at least 10 minutes. The PSS of the bot's whole Chromium tree is read every 30 s (and per process kind), with
the student's received frame rate, and the result gives the slope (MiB per minute) over the whole soak and over
its second half, and where the memory plateaus: the first sample from which the later ones (at least
PLATEAU_MIN_SAMPLES) neither rise nor fall by more than PLATEAU_SLOPE MiB per minute, with their median and range
(a bot's PSS swings by some tens of MiB from one reading to the next as Chromium frees and refills its caches).

`python -m tests.bench.soak --minutes 12` prints the result as JSON; `python -m tests.bench --only memory_soak`
runs it as a benchmark measure.
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
from pathlib import Path
from typing import Any

from tests.bench.defaults import product_defaults
from tests.bench.probes import all_live, received_fps, speaking_join_url
from tests.bench.process_stats import bot_trees, by_process_kind, pss_mib
from tests.bench.unprivileged import BENCH_UID, bench_node, needed, sandbox_in_force
from tests.bench.waiting import until
from tests.farm.harness import running_farm

Say = Callable[[str], None]

EVERY_S = 30.0
PLATEAU_SLOPE = 1.0  # MiB per minute: flatter than this is a plateau
PLATEAU_MIN_SAMPLES = 6  # three minutes at one reading every 30 s
QUESTION = "Could you remind me why a recursive function needs a base case?"
QUESTION_EVERY_S = 60.0
AVATAR_FPS = 25


def slope_mib_per_min(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MiB) points, in MiB per minute (None for fewer than two points)."""
    if len(points) < 2:
        return None
    xs = [t / 60 for t, _ in points]
    ys = [m for _, m in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    if spread == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / spread


def plateau(
    points: Sequence[tuple[float, float]], slope: float = PLATEAU_SLOPE, least: int = PLATEAU_MIN_SAMPLES
) -> dict[str, float] | None:
    """The earliest sample from which the later ones (at least `least`) have a least-squares slope within
    ±`slope` MiB/min: {"from_s", "pss_mib" (their median), "low", "high", "slope_mib_per_min"}; None when the
    memory never flattens like that."""
    for start in range(len(points) - least + 1):
        rest = points[start:]
        trend = slope_mib_per_min(rest)
        if trend is not None and abs(trend) <= slope:
            values = [m for _, m in rest]
            return {
                "from_s": rest[0][0],
                "pss_mib": statistics.median(values),
                "low": min(values),
                "high": max(values),
                "slope_mib_per_min": trend,
            }
    return None


def summarize(samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    points = [(float(s["t_s"]), float(s["pss_mib_per_bot"])) for s in samples]
    half = [p for p in points if p[0] >= points[-1][0] / 2] if points else []
    return {
        "samples": list(samples),
        "slope_mib_per_min": slope_mib_per_min(points),
        "slope_mib_per_min_second_half": slope_mib_per_min(half),
        "plateau": plateau(points),
    }


async def soak(
    minutes: float, say: Say, *, every_s: float = EVERY_S, as_root: bool = False, **settings: Any
) -> dict[str, Any]:
    """One bot, one student, `minutes` of PSS readings every `every_s` seconds (see the module's doc), at the
    product's defaults unless `settings` change them."""
    settings = {**product_defaults(), **settings}
    sandbox_checked: bool | None = None
    from playwright.async_api import async_playwright

    from tests.support.browsers import launch, launch_options
    from tests.support.media import moving_y4m, speech_wav

    with tempfile.TemporaryDirectory() as tmp:
        question = speech_wav(
            QUESTION, Path(tmp) / "question.wav", silence_after=QUESTION_EVERY_S - 4, voice="en-us+klatt"
        )
        async with (
            running_farm(
                Path(tmp),
                liveavatar_config={"avatar_fps": AVATAR_FPS},
                farm_options={"node": bench_node(as_root=as_root)},
                **settings,
            ) as stack,
            async_playwright() as playwright,
        ):
            number = await stack.meeting(["Room 1"])
            created = await stack.start(number, ["Room 1"])

            async def in_room() -> bool:
                return (await stack.session(created["id"]))["rooms"][0]["status"] in ("in_room", "live", "idle")

            await until(in_room, 120, "the bot in its room")
            browser = await launch(
                playwright, **launch_options(fake_video=moving_y4m(Path(tmp) / "student.y4m"), fake_audio=question)
            )
            try:
                page = await browser.new_page()
                await page.goto(speaking_join_url(stack, number, "Student 1", "Room 1"))

                async def receiving() -> bool:
                    return bool((await received_fps(stack, number, ["Student 1"]))["Student 1"])

                await until(all_live(stack, created["id"]), 120, "the room live")
                await until(receiving, 60, "the student receives the bot")
                say(f"  soak: live and received; PSS every {every_s:g}s for {minutes:g} min")
                samples: list[dict[str, Any]] = []
                began = time.monotonic()
                while True:
                    trees = bot_trees()
                    pids = [pid for tree in trees for pid in tree]
                    status = (await stack.session(created["id"]))["rooms"][0]["status"]
                    sample = {
                        "t_s": round(time.monotonic() - began, 1),
                        "pss_mib_per_bot": pss_mib(pids) / max(1, len(trees)),
                        "by_process_kind": by_process_kind(pids),
                        "student_fps": (await received_fps(stack, number, ["Student 1"]))["Student 1"],
                        "room_status": status,
                    }
                    samples.append(sample)
                    if sandbox_checked is None and needed() and not as_root:
                        sandbox_checked = sandbox_in_force(pids, BENCH_UID)
                    say(
                        f"  soak t={sample['t_s']:.0f}s: {sample['pss_mib_per_bot']:.0f} MiB PSS per bot, "
                        f"student {sample['student_fps']} fps, room {status}"
                    )
                    if sample["t_s"] >= minutes * 60:
                        break
                    await asyncio.sleep(max(0.0, began + len(samples) * every_s - time.monotonic()))
            finally:
                await browser.close()
    return {
        "minutes": minutes,
        "every_s": every_s,
        "avatar_fps": AVATAR_FPS,
        "sandbox_checked": sandbox_checked,
        **summarize(samples),
    }


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cli(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=12.0, help="how long the bot is watched")
    parser.add_argument("--every", type=float, default=EVERY_S, help="seconds between PSS readings")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(soak(args.minutes, _say, every_s=args.every)), indent=2))


if __name__ == "__main__":
    cli()
