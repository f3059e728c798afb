"""`make bench`: how fast and how heavy the farm is, on the fakes, on this machine.

Measures, as medians over several runs:
  * time from POST /api/sessions to every room live (1 and 3 rooms);
  * CPU (cores) and memory (PSS) per bot with a student receiving in every room, for 1, 3 and 6 rooms, side by
    side with a naive baseline (Playwright's defaults, none of our flags) and with one shared Chromium holding a
    BrowserContext per room (tests/bench/per_bot.py);
  * glass-to-glass video latency, from the avatar's frame to the student's screen, and the largest number of
    rooms whose students all receive ≥ 20 fps (tests/bench/glass.py);
  * the frame rate a participant receives from a bot, and say-to-hear latency (REST `say` until the
    participant's browser hears the avatar's voice);
  * recovery time after `kill -9` of a bot's browser (until the room is live again);
  * student arrives → avatar seen and heard: from a student entering the breakout room of a waiting bot
    (AVATAR_START=on_human, no avatar yet) until the room is live and the student hears the greeting;
  * browser nodes: 6 rooms with their bots in their rooms on two nodes against one, and recovery after SIGKILL
    of a node;
  * course materials: how often the avatar's context holds the passage a student's question needs, against the
    first characters of the course text (tests/bench/materials.py).
Writes tests/bench/results.json and the table between the bench markers in README.md; `--only` runs one
measure and replaces just its figures there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.bench.glass import glass_to_glass, rooms_at_20_fps
from tests.bench.materials import measure as materials_hit_rate
from tests.bench.per_bot import per_bot_cost
from tests.bench.probes import PROFESSOR, all_live, join_url, received_fps
from tests.bench.process_stats import bot_trees
from tests.bench.waiting import until
from tests.farm.harness import running_farm

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "tests" / "bench" / "results.json"
README = ROOT / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


async def time_to_live(rooms: int, runs: int) -> list[float]:
    names = [f"Room {i + 1}" for i in range(rooms)]
    samples = []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            async with running_farm(Path(tmp)) as stack:
                number = await stack.meeting(names)
                started = time.monotonic()
                created = await stack.start(number, names)
                await until(all_live(stack, created["id"]), 180)
                samples.append(time.monotonic() - started)
        say(f"  {rooms} room(s), run {run + 1}/{runs}: all live after {samples[-1]:.2f}s")
    return samples


STUDENT_PROBE = """
async (name) => {
  const tile = [...document.querySelectorAll('.fz-tile')].find(t => (t.textContent || '').includes(name));
  const audio = tile && document.querySelector(`audio[data-user-id="${tile.dataset.userId}"]`);
  const stream = audio && audio.srcObject;
  if (!stream || !stream.getAudioTracks().length) return false;
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(new MediaStream(stream.getAudioTracks())).connect(analyser);
  const data = new Float32Array(analyser.fftSize);
  window.__heard = [];
  setInterval(() => {
    analyser.getFloatTimeDomainData(data);
    let sum = 0; for (const v of data) sum += v * v;
    window.__heard.push([Date.now(), Math.sqrt(sum / data.length)]);
    if (window.__heard.length > 3000) window.__heard.shift();
  }, 10);
  return true;
}
"""


async def media_and_latency(runs: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from tests.support.browsers import launch_options
    from tests.support.media import moving_y4m

    fps, latencies = [], []
    with tempfile.TemporaryDirectory() as tmp:
        async with running_farm(Path(tmp)) as stack, async_playwright() as playwright:
            number = await stack.meeting(["Room 1"])
            created = await stack.start(number, ["Room 1"])
            await until(all_live(stack, created["id"]), 180)
            browser = await playwright.chromium.launch(**launch_options(fake_video=moving_y4m(Path(tmp) / "s.y4m")))
            page = await browser.new_page()
            await page.goto(join_url(stack, number, "Listener", "Room 1"))
            room_base = f"/api/sessions/{created['id']}/rooms/{created['rooms'][0]['id']}"

            async def listening() -> bool:
                return bool(await page.evaluate(STUDENT_PROBE, PROFESSOR))

            await until(listening, 60)
            await asyncio.sleep(4)  # the opening greeting ends
            for run in range(runs):
                await page.evaluate("() => { window.__heard = []; }")
                await asyncio.sleep(1.5)
                sent = time.time() * 1000
                response = await stack.client.post(f"{room_base}/say", json={"text": "Let us look at the base case."})
                assert response.status_code == 202, response.text

                async def heard(sent: float = sent) -> bool:
                    samples = await page.evaluate("() => window.__heard")
                    return any(t >= sent and level > 0.02 for t, level in samples)

                await until(heard, 30)
                samples = await page.evaluate("() => window.__heard")
                onset = next(t for t, level in samples if t >= sent and level > 0.02)
                latencies.append((onset - sent) / 1000)
                received = (await received_fps(stack, number, ["Listener"]))["Listener"]
                if received is None:
                    raise RuntimeError("the listener receives no video from the bot")
                fps.append(received)
                say(f"  say-to-hear run {run + 1}/{runs}: {latencies[-1]:.2f}s; receiving {fps[-1]:.0f} fps")
                await asyncio.sleep(4)
            await browser.close()
    return {"fps": fps, "say_to_hear_s": latencies}


async def student_arrival(runs: int) -> dict[str, list[float]]:
    from playwright.async_api import async_playwright

    from tests.support.browsers import launch_options
    from tests.support.media import moving_y4m

    seen, heard_after = [], []
    with tempfile.TemporaryDirectory() as tmp:
        async with running_farm(Path(tmp), avatar_start="on_human") as stack, async_playwright() as playwright:
            number = await stack.meeting(["Room 1"])
            created = await stack.start(number, ["Room 1"])
            sid = created["id"]

            def status_is(*wanted: str) -> Callable[[], Awaitable[bool]]:
                async def check() -> bool:
                    return (await stack.session(sid))["rooms"][0]["status"] in wanted

                return check

            await until(status_is("in_room"), 180)
            video = moving_y4m(Path(tmp) / "s.y4m")
            for run in range(runs):
                browser = await playwright.chromium.launch(**launch_options(fake_video=video))
                page = await browser.new_page()
                await page.goto(join_url(stack, number, "Student", "Room 1"))

                async def in_room() -> bool:
                    try:
                        return (await stack.zoom.person(number, "Student"))["location"] == "breakout"
                    except AssertionError:
                        return False

                await until(in_room, 60)
                arrived = time.time() * 1000

                async def listening(page: Any = page) -> bool:
                    return bool(await page.evaluate(STUDENT_PROBE, PROFESSOR))

                await until(listening, 30)
                await until(status_is("live"), 90)
                seen.append(time.time() - arrived / 1000)

                async def greeting_heard(page: Any = page, arrived: float = arrived) -> bool:
                    samples = await page.evaluate("() => window.__heard")
                    return any(t >= arrived and level > 0.02 for t, level in samples)

                await until(greeting_heard, 60)
                samples = await page.evaluate("() => window.__heard")
                onset = next(t for t, level in samples if t >= arrived and level > 0.02)
                heard_after.append((onset - arrived) / 1000)
                say(
                    f"  student arrival run {run + 1}/{runs}: avatar live {seen[-1]:.2f}s, heard {heard_after[-1]:.2f}s"
                )
                await browser.close()
                await until(status_is("idle", "in_room"), 60)  # the room empties: the avatar pauses
    return {"live_s": seen, "heard_s": heard_after}


async def recovery(runs: int) -> list[float]:
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        async with running_farm(Path(tmp)) as stack:
            number = await stack.meeting(["Room 1"])
            created = await stack.start(number, ["Room 1"])
            for run in range(runs):
                await until(all_live(stack, created["id"]), 180)
                await asyncio.sleep(2)
                [tree] = bot_trees()
                killed = time.monotonic()
                os.kill(tree[0], signal.SIGKILL)

                async def recovering() -> bool:
                    return (await stack.session(created["id"]))["rooms"][0]["status"] != "live"

                await until(recovering, 30)
                await until(all_live(stack, created["id"]), 180)
                samples.append(time.monotonic() - killed)
                say(f"  recovery run {run + 1}/{runs}: live again {samples[-1]:.2f}s after kill -9")
    return samples


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# What others report per bot (../shared/reference/meeting-bot-landscape.md), and this project's goal.
ANCHORS_CPU = "goal ≤ 0.25; Vexa p95 0.78; Attendee requests 4 (+1 for its page streamer); Recall: a 4-core bot"
ANCHORS_PSS = "goal ≤ 300 MiB; Vexa p95 977 MiB; Attendee requests 4 GiB (+4 GiB for its page streamer)"


def _per_bot_rows(per_bot: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for rooms, figures in per_bot["rooms"].items():
        ours, naive = figures.get("avatarfarm", {}), figures.get("naive", {})
        if ours.get("cores_per_bot") is None:
            continue
        fps = ours.get("student_fps")
        receive = f" ({fps:.0f} fps)" if fps is not None else ""
        where = f"{rooms} room{'s' if rooms != '1' else ''}, a student receiving in each{receive}"
        for key, unit, anchors, fmt in (
            ("cores_per_bot", "cores", ANCHORS_CPU, "{:.2f}"),
            ("pss_mib_per_bot", "MiB", ANCHORS_PSS, "{:.0f}"),
        ):
            what = "CPU" if key == "cores_per_bot" else "Memory (PSS)"
            baseline = naive.get(key)
            ratio = ours["ratio_to_naive"][key]
            against = "no baseline"
            if baseline is not None:
                against = f"naive baseline {fmt.format(baseline)} {unit} (×{ratio:.2f})"
            rows.append((f"{what} per bot, {where}", f"{fmt.format(ours[key])} {unit}", f"{against}; {anchors}"))
        shared = figures.get("shared browser", {})
        if shared.get("cores_per_bot") is not None:
            rows.append(
                (
                    f"One Chromium, a BrowserContext per room ({where})",
                    f"{shared['cores_per_bot']:.2f} cores, {shared['pss_mib_per_bot']:.0f} MiB per bot",
                    "measured only: a browser crash would cost every room, so one Chromium per room stays",
                )
            )
    return rows


def _table(results: dict[str, Any]) -> str:
    m = results["metrics"]
    rows = [
        ("POST /api/sessions → 1 room live", f"{m['time_to_live_1']['median_s']:.1f} s", "median of runs"),
        ("POST /api/sessions → 3 rooms live", f"{m['time_to_live_3']['median_s']:.1f} s", "median of runs"),
    ]
    if "per_bot" in m:
        rows += _per_bot_rows(m["per_bot"])
    if "rooms_at_20_fps" in m:
        largest = m["rooms_at_20_fps"]["largest_rooms_at_20_fps"]
        rows.append(
            (
                "Rooms whose students all receive ≥ 20 fps",
                f"{largest} ({largest / (os.cpu_count() or 1):.1f} per core)",
                "the avatar sends 25 fps; the students' browsers run on the same cores",
            )
        )
    if "glass_to_glass_s" in m:
        rows.append(
            (
                "Glass-to-glass video latency at a student",
                f"{_median(m['glass_to_glass_s']) * 1000:.0f} ms",
                "the avatar's frame stamped at capture → read back in the student's page",
            )
        )
    rows += [
        ("Frames per second at a participant", f"{_median(m['media']['fps']):.0f} fps", "the avatar sends 15 fps"),
        (
            "Say-to-hear latency at a participant",
            f"{_median(m['media']['say_to_hear_s']):.2f} s",
            "REST say → audible, incl. TTS",
        ),
        ("Recovery after kill -9 of a bot's browser", f"{_median(m['recovery_s']):.1f} s", "until live again"),
    ]
    if "student_arrival" in m:
        arrival = m["student_arrival"]
        rows += [
            (
                "Student arrives → avatar seen (room live)",
                f"{_median(arrival['live_s']):.1f} s",
                "AVATAR_START=on_human: token minted on arrival",
            ),
            ("Student arrives → avatar heard (greeting)", f"{_median(arrival['heard_s']):.1f} s", "at the student"),
        ]
    if "nodes" in m:
        n = m["nodes"]
        rows += [
            (
                "POST /api/sessions → 6 bots in their rooms, 1 node",
                f"{_median(n['one_node_s']):.1f} s",
                "node processes on this machine",
            ),
            (
                "POST /api/sessions → 6 bots in their rooms, 2 nodes",
                f"{_median(n['two_nodes_s']):.1f} s",
                "same cores, split over 2 nodes",
            ),
            (
                "Recovery after SIGKILL of a browser node",
                f"{_median(n['node_recovery_s']):.1f} s",
                "its bots back in their rooms on the other node",
            ),
        ]
    if "materials" in m:
        hits = m["materials"]
        rows.append(
            (
                "Course passage a question needs, in the avatar's context",
                f"{hits['hit_rate']:.2f} hit rate (first characters of the course text: "
                f"{hits['baseline_hit_rate']:.2f})",
                f"{hits['questions']} questions on a generated 40-page PDF and 12-slide deck, "
                f"{hits['budget_chars']:,} characters",
            )
        )
        if "large_course_passages" in hits:
            rows.append(
                (
                    "Passage selection at an avatar start",
                    f"{hits['selection_ms_per_question']:.1f} ms; {hits['large_course_selection_ms_per_question']:.1f} "
                    f"ms on a course ten times larger",
                    f"FTS5 bm25, 3 queries fused; the larger course ({hits['large_course_passages']} passages) "
                    f"hit rate {hits['large_course_hit_rate']:.2f}",
                )
            )
    header = f"Measured on {results['machine']} ({results['date']}), `make bench`:\n\n"
    lines = ["| measure | median | notes |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return header + "\n".join(lines) + "\n"


def _write_readme(table: str) -> None:
    text = README.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        README.write_text(f"{head}{START}\n{table}{END}{tail}", encoding="utf-8")


async def node_measures(runs: int) -> dict[str, Any]:
    from tests.bench.nodes import recovery_after_node_kill, time_to_live_on_nodes

    say("browser nodes: 6 bots in their rooms on one node, then on two")
    one = await time_to_live_on_nodes(1, runs, say)
    two = await time_to_live_on_nodes(2, runs, say)
    say("browser nodes: recovery after SIGKILL of a node")
    recovery_s = await recovery_after_node_kill(runs, say)
    return {"one_node_s": one, "two_nodes_s": two, "node_recovery_s": recovery_s}


MEASURES: dict[str, Callable[[int], Awaitable[Any]]] = {
    "time_to_live_1": lambda runs: _time_to_live(1, runs),
    "time_to_live_3": lambda runs: _time_to_live(3, runs),
    "per_bot": lambda runs: per_bot_cost(runs, say, (1, 3, 6), settle=PER_BOT_SETTLE_S, shared_rooms=(3,)),
    "glass_to_glass_s": lambda runs: glass_to_glass(runs, say),
    "media": media_and_latency,
    "recovery_s": recovery,
    "student_arrival": student_arrival,
    "nodes": node_measures,
    "rooms_at_20_fps": lambda runs: rooms_at_20_fps(say),
    "materials": lambda runs: materials_hit_rate(say),  # deterministic: one run
}
# A bot's memory is flat once its students see it (the avatar's frames are never drawn on a canvas): 15 s is
# enough for the encoders' ramp-up.
PER_BOT_SETTLE_S = 15.0


async def _time_to_live(rooms: int, runs: int) -> dict[str, Any]:
    samples = await time_to_live(rooms, runs)
    return {"samples_s": samples, "median_s": _median(samples)}


async def main(runs: int, only: list[str] | None = None) -> dict[str, Any]:
    say(f"benchmark: {runs} run(s) per measure")
    metrics: dict[str, Any] = {}
    for name, measure in MEASURES.items():
        if only and name not in only:
            continue
        say(f"{name}:")
        metrics[name] = await measure(runs)
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "runs": runs,
        "metrics": metrics,
    }


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per measure (medians are reported)")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the README table")
    parser.add_argument(
        "--only", nargs="+", choices=list(MEASURES), help="run these measures; the others keep their last figures"
    )
    args = parser.parse_args()
    results = asyncio.run(main(args.runs, args.only))
    if args.only and RESULTS.exists():
        previous = json.loads(RESULTS.read_text(encoding="utf-8"))
        results["metrics"] = {**previous.get("metrics", {}), **results["metrics"]}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    table = _table(results)
    print("\n" + table)
    if not args.no_readme:
        _write_readme(table)
    say(f"results written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    cli()
