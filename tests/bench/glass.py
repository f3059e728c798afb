"""Two benchmark measures of what a student sees: glass-to-glass video latency, and rooms that keep 20 fps.

* Glass to glass: the fake avatar stamps every frame with its wall-clock capture time (`stamp_frames`,
  fakes/liveavatar/frame_stamp.py). The frame goes the whole way: fake avatar → LiveKit → the bot's page (the
  LiveAvatar SDK's video track, its frames passed on to the bot's camera track) → the bot's encoder → the fake
  Zoom's WebRTC mesh → the student's decoder. In the student's page, `requestVideoFrameCallback` on the bot's
  tile draws each presented frame's band into a canvas and reads the stamp back (GLASS_READER_JS); the age is
  `Date.now()` minus the stamp (one machine, one clock).
* Rooms at 20 fps: for 1, 2, 3, … rooms, one farm each, every room with a student receiving the bot; the count
  passes when every room's median received frame rate is at least 20. The students run on this machine's cores
  too (one Chromium, a page per room), so the figure is a floor for the bots alone.

`python -m tests.bench.glass --runs 1 --max-rooms 3` prints both as JSON; tests/bench/__main__.py calls
`glass_to_glass` and `rooms_at_20_fps`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fakes.liveavatar import frame_stamp
from tests.bench.defaults import AVATAR_FPS, Setup
from tests.bench.probes import PROFESSOR, all_live, join_url, received_fps
from tests.bench.spread import figure
from tests.bench.waiting import until
from tests.support.browsers import launch

Say = Callable[[str], None]

FRAMES_PER_RUN = 100
MIN_DECODED = 0.5
FPS_FLOOR = 20.0

# The reference reader (frame_stamp.decode_band) in JavaScript: same cells, same rounding, same threshold.
STAMP_DECODER_JS = f"""
const STAMP_CELLS = {frame_stamp.CELLS};
const STAMP_BAND = {frame_stamp.BAND_FRACTION!r};
const STAMP_BITS = {frame_stamp.STAMP_BITS};
const STAMP_CHECK_BITS = {frame_stamp.CHECK_BITS};
const STAMP_MIN_CONTRAST = {frame_stamp.MIN_CONTRAST};
const STAMP_MODULUS = 2 ** STAMP_BITS;

function stampBandRows(height) {{
  return Math.max(2, Math.floor(height * STAMP_BAND + 0.5));
}}

function stampChecksum(stamp) {{
  let sum = 0;
  for (let shift = 0; shift < STAMP_BITS; shift += 4) sum += Math.floor(stamp / 2 ** shift) % 16;
  return sum % 16;
}}

// rgba: the band's pixels (width × rows, RGBA as getImageData gives them); the stamp, or null.
function decodeStampBand(rgba, width, rows) {{
  const top = Math.floor(rows / 4);
  const bottom = Math.max(top + 1, rows - Math.floor(rows / 4));
  const levels = [];
  for (let i = 0; i < STAMP_CELLS; i++) {{
    const lo = Math.floor(((i + 0.25) * width) / STAMP_CELLS + 0.5);
    const hi = Math.max(lo + 1, Math.floor(((i + 0.75) * width) / STAMP_CELLS + 0.5));
    let sum = 0;
    let count = 0;
    for (let y = top; y < bottom; y++) {{
      for (let x = lo; x < hi; x++) {{
        const k = (y * width + x) * 4;
        sum += 0.299 * rgba[k] + 0.587 * rgba[k + 1] + 0.114 * rgba[k + 2];
        count += 1;
      }}
    }}
    levels.push(sum / count);
  }}
  const white = (levels[0] + levels[STAMP_CELLS - 1]) / 2;
  const black = (levels[1] + levels[STAMP_CELLS - 2]) / 2;
  if (white - black < STAMP_MIN_CONTRAST) return null;
  const threshold = (white + black) / 2;
  const bits = levels.map((level) => (level > threshold ? 1 : 0));
  if (bits[0] !== 1 || bits[1] !== 0 || bits[STAMP_CELLS - 2] !== 0 || bits[STAMP_CELLS - 1] !== 1) return null;
  let stamp = 0;
  for (let i = 2; i < 2 + STAMP_BITS; i++) stamp = stamp * 2 + bits[i];
  let check = 0;
  for (let i = 2 + STAMP_BITS; i < 2 + STAMP_BITS + STAMP_CHECK_BITS; i++) check = check * 2 + bits[i];
  return check === stampChecksum(stamp) ? stamp : null;
}}

function stampAgeMs(stamp, nowMs) {{
  const age = (((Math.floor(nowMs) - stamp) % STAMP_MODULUS) + STAMP_MODULUS) % STAMP_MODULUS;
  return age >= STAMP_MODULUS / 2 ? age - STAMP_MODULUS : age;
}}
"""

# Evaluated in a student's page with {name, frames, timeoutMs}: null while the bot's tile shows no video yet,
# else what `frames` presented frames (or those until the timeout) carried.
GLASS_READER_JS = (
    "async ({ name, frames, timeoutMs }) => {"
    + STAMP_DECODER_JS
    + """
  const tile = [...document.querySelectorAll('.fz-tile')].find((t) => (t.textContent || '').includes(name));
  const video = tile && tile.querySelector('video');
  if (!video || !video.videoWidth || typeof video.requestVideoFrameCallback !== 'function') return null;
  const canvas = document.createElement('canvas');
  const painter = canvas.getContext('2d', { willReadFrequently: true });
  return await new Promise((resolve) => {
    const ages = [];
    const sizes = new Set();
    let seen = 0;
    let done = false;
    const finish = (timedOut) => {
      if (done) return;
      done = true;
      resolve({ seen, ages, sizes: [...sizes], timedOut });
    };
    const onFrame = () => {
      if (done) return;
      const at = Date.now();
      const w = video.videoWidth;
      const h = video.videoHeight;
      const rows = stampBandRows(h);
      if (canvas.width !== w || canvas.height !== rows) {
        canvas.width = w;
        canvas.height = rows;
      }
      painter.drawImage(video, 0, h - rows, w, rows, 0, 0, w, rows);
      const stamp = decodeStampBand(painter.getImageData(0, 0, w, rows).data, w, rows);
      seen += 1;
      sizes.add(`${w}x${h}`);
      if (stamp !== null) ages.push(stampAgeMs(stamp, at));
      if (seen >= frames) finish(false);
      else video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    setTimeout(() => finish(true), timeoutMs);
  });
}"""
)


@dataclass(frozen=True)
class GlassRun:
    """One run of the reader: the median age of the frames it decoded, and how many it saw and decoded."""

    median_s: float
    p90_s: float
    frames_seen: int
    frames_decoded: int
    sizes: list[str]

    @property
    def decoded_fraction(self) -> float:
        return self.frames_decoded / self.frames_seen if self.frames_seen else 0.0


def glass_run(reading: dict[str, Any] | None) -> GlassRun:
    """A GlassRun from GLASS_READER_JS's answer; raises when fewer than half the frames decoded (a broken reader
    or a band damaged on the way must not pass as a figure)."""
    if reading is None:
        raise RuntimeError(f"the student's page shows no video from {PROFESSOR}")
    seen, ages = int(reading["seen"]), [float(age) for age in reading["ages"]]
    if not seen or len(ages) < MIN_DECODED * seen:
        raise RuntimeError(
            f"only {len(ages)} of {seen} presented frames carried a readable stamp "
            f"(sizes {reading['sizes']}, timed out: {reading['timedOut']})"
        )
    ordered = sorted(ages)
    return GlassRun(
        median_s=statistics.median(ordered) / 1000,
        p90_s=ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))] / 1000,
        frames_seen=seen,
        frames_decoded=len(ages),
        sizes=list(reading["sizes"]),
    )


async def glass_runs(runs: int, say: Say, frames: int = FRAMES_PER_RUN, setup: Setup | None = None) -> list[GlassRun]:
    """Per run a fresh farm with one live room and one student; `frames` presented frames read at the student."""
    from playwright.async_api import async_playwright

    from tests.bench.room_measures import bench_farm
    from tests.support.browsers import launch_options
    from tests.support.media import moving_y4m

    setup = setup or Setup()
    results: list[GlassRun] = []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            async with (
                bench_farm(Path(tmp), setup, liveavatar_config={"stamp_frames": True}) as stack,
                async_playwright() as playwright,
            ):
                number = await stack.meeting(["Room 1"])
                created = await stack.start(number, ["Room 1"])
                video = moving_y4m(Path(tmp) / "s.y4m")
                browser = await launch(playwright, **launch_options(fake_video=video))
                try:
                    page = await browser.new_page()
                    await page.goto(join_url(stack, number, "Watcher", "Room 1"))
                    await until(all_live(stack, created["id"]), 180, "room live")
                    # Until the avatar's own frames (not the bot's placeholder card) reach the student.
                    probe = {"name": PROFESSOR, "frames": 1, "timeoutMs": 5000}

                    async def stamped(page: Any = page, probe: dict[str, Any] = probe) -> bool:
                        reading = await page.evaluate(GLASS_READER_JS, probe)
                        return bool(reading and reading["ages"])

                    await until(stamped, 60, "a stamped frame at the student")
                    await asyncio.sleep(3)  # the encoders' ramp-up is not the steady state
                    timeout_ms = int(4 * 1000 * frames / AVATAR_FPS) + 10_000
                    reading = await page.evaluate(
                        GLASS_READER_JS, {"name": PROFESSOR, "frames": frames, "timeoutMs": timeout_ms}
                    )
                    result = glass_run(reading)
                    results.append(result)
                finally:
                    await browser.close()
        say(
            f"  glass-to-glass run {run + 1}/{runs}: median {result.median_s * 1000:.0f} ms, "
            f"p90 {result.p90_s * 1000:.0f} ms, {result.frames_decoded}/{result.frames_seen} frames "
            f"decoded ({', '.join(result.sizes)})"
        )
    return results


async def glass_to_glass(runs: int, say: Say, setup: Setup | None = None) -> dict[str, Any]:
    """Glass-to-glass video latency (seconds): per run (a fresh farm) the median over ~100 frames; their median
    and spread."""
    measured = await glass_runs(runs, say, setup=setup)
    return {
        "latency_s": figure([run.median_s for run in measured]),
        "runs": [{**asdict(run), "decoded_fraction": run.decoded_fraction} for run in measured],
    }


async def fps_with_rooms(
    rooms: int, say: Say, *, seconds: float = 15, every_s: float = 1.5, setup: Setup | None = None
) -> list[float]:
    """`rooms` live rooms, a student in each (one Chromium, a page per room): each room's median received fps."""
    from playwright.async_api import async_playwright

    from tests.bench.room_measures import bench_farm
    from tests.support.browsers import launch_options
    from tests.support.media import moving_y4m

    names = [f"Room {i + 1}" for i in range(rooms)]
    students = [f"Student {i + 1}" for i in range(rooms)]
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            bench_farm(Path(tmp), setup or Setup(), max_bots=max(rooms, 6)) as stack,
            async_playwright() as playwright,
        ):
            number = await stack.meeting(names)
            created = await stack.start(number, names)
            started = time.monotonic()
            browser = await launch(playwright, **launch_options(fake_video=moving_y4m(Path(tmp) / "s.y4m")))
            try:
                for student, room in zip(students, names, strict=True):
                    page = await browser.new_page()
                    await page.goto(join_url(stack, number, student, room))
                await until(all_live(stack, created["id"]), 120 + 60 * rooms, f"{rooms} rooms live")
                say(f"    {rooms} room(s) live after {time.monotonic() - started:.1f}s with their students")

                async def all_receiving() -> bool:
                    rates = await received_fps(stack, number, students)
                    return all(rate for rate in rates.values())

                await until(all_receiving, 60 + 15 * rooms, "every student receiving the bot")
                await asyncio.sleep(5)  # settle: the encoders' ramp-up is not the steady state
                samples: dict[str, list[float]] = {student: [] for student in students}
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    await asyncio.sleep(every_s)
                    for student, rate in (await received_fps(stack, number, students)).items():
                        samples[student].append(rate or 0.0)
            finally:
                await browser.close()
    return [statistics.median(samples[student]) for student in students]


async def rooms_at_20_fps(say: Say, max_rooms: int = 8, setup: Setup | None = None) -> dict[str, Any]:
    """The largest number of rooms (one farm each; 1, 2, 3, … up to `max_rooms`, stopping at the first count that
    fails) in which every student receives the bot at ≥ 20 fps (median over ~15 s; the avatar sends 25).

    The students' Chromium (one, with a page per room) runs on the same 2 cores as the bots, the farm, the fakes
    and LiveKit, so a real deployment, whose students are elsewhere, holds at least this many."""
    by_rooms: dict[str, list[float]] = {}
    largest = 0
    for rooms in range(1, max_rooms + 1):
        say(f"  {rooms} room(s), a student each: received fps")
        medians = await fps_with_rooms(rooms, say, setup=setup)
        by_rooms[str(rooms)] = medians
        passed = all(fps >= FPS_FLOOR for fps in medians)
        say(f"  {rooms} room(s): median fps per room {[round(f, 1) for f in medians]} → {'pass' if passed else 'fail'}")
        if not passed:
            break
        largest = rooms
    return {"threshold_fps": FPS_FLOOR, "median_fps_by_rooms": by_rooms, "largest_rooms_at_20_fps": largest}


async def rooms_at_20_fps_runs(runs: int, say: Say, setup: Setup | None = None, max_rooms: int = 8) -> dict[str, Any]:
    """`rooms_at_20_fps` `runs` times over (every room count a fresh farm): the largest count's median and
    spread, and each scan."""
    scans = [await rooms_at_20_fps(say, max_rooms, setup) for _ in range(runs)]
    return {
        "threshold_fps": FPS_FLOOR,
        "largest": figure([scan["largest_rooms_at_20_fps"] for scan in scans]),
        "scans": scans,
    }


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


async def _main(runs: int, max_rooms: int, only: str | None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if only in (None, "glass"):
        _say("glass-to-glass video latency")
        measured = await glass_runs(runs, _say)
        results["glass_to_glass"] = {
            "median_s": [run.median_s for run in measured],
            "runs": [{**asdict(run), "decoded_fraction": run.decoded_fraction} for run in measured],
        }
    if only in (None, "rooms"):
        _say("rooms at ≥ 20 fps")
        results["rooms_at_20_fps"] = await rooms_at_20_fps(_say, max_rooms)
    return results


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.glass", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="glass-to-glass runs (each a median over ~100 frames)")
    parser.add_argument("--max-rooms", type=int, default=8, help="largest room count tried for 20 fps")
    parser.add_argument("--only", choices=["glass", "rooms"], help="run one of the two measures")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_main(args.runs, args.max_rooms, args.only)), indent=2))


if __name__ == "__main__":
    cli()
