"""The control plane at department scale: classes of 20 breakout rooms each, every bot a simulated page
(tests/bench/simulated_pages.py) instead of a Chromium, a professor's dashboard on each class's event stream and
webhooks on, stepped over 1, 5, 10 and 20 classes (20 classes: 400 bots), each step a fresh manager.

Processes: the manager (tests/bench/department_manager.py: `avatarfarm serve`'s app with a node of simulated
pages), LiveAvatar (tests/bench/department_vendors.py: the fake without its media rooms), and this one, which holds
the pages host, the dashboards and the webhook receiver. Everything reaches the manager through its own HTTP and
WebSocket endpoints: professors made with POST /api/professors, sessions started with POST /api/sessions under
each professor's token, bot pages loaded from /bot/{ticket}, dashboards on GET /api/events?session=….

Per step, over a steady window once every room is live (every student talking with the avatar):
  * the manager's CPU (cores: its process's utime + stime over the window) and memory (RSS and PSS, highest);
  * latency from a page's report to a dashboard: a transcript line leaves its page with a marker and is timed
    until that line arrives on the class's event stream (p50, p99, max);
  * SQLite's growth per room-hour: the database's used pages at the window's end less at its start, over the
    window, per room (extrapolated: the window is minutes, a class is hours);
  * signs of saturation: rooms the farm called hung (recovering) in the window, webhooks and events per second,
    and how long the rooms took to go live (LiveAvatar calls are paced: AVATARFARM_LIVEAVATAR_CALLS_PER_SECOND).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.bench.department_vendors import API_KEY
from tests.bench.process_stats import pss_mib
from tests.bench.simulated_pages import Latencies, PagesHost
from tests.support.process_tree import cpu_seconds
from tests.support.servers import serve_app

Say = Callable[[str], None]
ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "bench-department-admin-token-7c1e9f"
ROOMS_PER_CLASS = 20
STEPS = (1, 5, 10, 20)
STEADY_S = 120.0
TALK_EVERY_S = 10.0
LIVE_WITHIN_S = 600.0
AVATAR_ID = "3b8f0c1e-5a52-4f43-a0a4-6e6f1c2d9b10"  # an avatar of the fake LiveAvatar's catalogue
GOAL_P99_MS = 250.0


# ---- figures -----------------------------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float | None:
    """The q-th percentile (0–100) by the nearest-rank method; None without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100)
    return ordered[int(rank) - 1]


def per_room_hour(grown_bytes: int, rooms: int, seconds: float) -> float | None:
    """Bytes the database grew per room per hour, extrapolated from `grown_bytes` over `seconds`."""
    if rooms <= 0 or seconds <= 0:
        return None
    return grown_bytes / rooms / (seconds / 3600.0)


def latency_figures(seconds: list[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    return {
        "count": len(ms),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else None,
        "mean_ms": statistics.fmean(ms) if ms else None,
    }


def slow_by_second(latencies: Latencies, start: float) -> dict[str, int]:
    """How many lines took GOAL_P99_MS or longer, by the second of the window they were sent in: spread out, the
    manager is slow throughout; bunched, something stalls it now and then."""
    slow = Counter(
        str(int(sent - start))
        for sent, took in zip(latencies.seen_at, latencies.seen_s, strict=True)
        if took * 1000 >= GOAL_P99_MS
    )
    return dict(sorted(slow.items(), key=lambda item: int(item[0])))


def bounded(step: dict[str, Any]) -> list[str]:
    """What the step's figures say against the goal (one core, p99 under 250 ms, every room live, none hung)."""
    problems = []
    if step["manager"]["cores"] >= 0.9:
        problems.append(f"the manager used {step['manager']['cores']:.2f} cores")
    p99 = step["latency"]["p99_ms"]
    if p99 is None or p99 >= GOAL_P99_MS:
        problems.append("no latency measured" if p99 is None else f"p99 {p99:.0f} ms")
    if step["live_rooms"] < step["rooms"]:
        problems.append(f"{step['live_rooms']} of {step['rooms']} rooms live")
    if step["hung_in_window"]:
        problems.append(f"{step['hung_in_window']} rooms called hung")
    return problems


# ---- the manager's process -----------------------------------------------------------------------------------


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def database_bytes(path: Path) -> int:
    """Bytes of the database's pages in use (the WAL's committed pages included, free pages not)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        size = int(db.execute("PRAGMA page_size").fetchone()[0])
        pages = int(db.execute("PRAGMA page_count").fetchone()[0])
        free = int(db.execute("PRAGMA freelist_count").fetchone()[0])
    return (pages - free) * size


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


@dataclass
class Process:
    process: asyncio.subprocess.Process
    announced: dict[str, Any]

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.asynccontextmanager
async def child(module: str, *args: str, log: Path) -> AsyncIterator[Process]:
    """`python -m module args` with its stderr in `log`; yields once it printed its JSON line."""
    with log.open("w") as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=errors
        )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if not line:
            raise RuntimeError(f"{module} exited before it listened: {tail(log)}")
        yield Process(process, json.loads(line))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


# ---- dashboards and webhooks ---------------------------------------------------------------------------------


@dataclass
class Watch:
    """What the dashboards and the webhook receiver saw."""

    events: Counter[str] = field(default_factory=Counter)
    hung: int = 0
    webhooks: int = 0
    webhook_bytes: int = 0


async def dashboard(base: str, token: str, session_id: str, pages: PagesHost, watch: Watch) -> None:
    """A professor's dashboard on their class's event stream (until cancelled)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    timeout = httpx.Timeout(30, read=None)
    async with (
        httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout) as client,
        client.stream("GET", "/api/events", params={"session": session_id}) as stream,
    ):
        if stream.status_code != 200:
            raise RuntimeError(f"event stream refused: HTTP {stream.status_code}")
        async for line in stream.aiter_lines():
            if not line.startswith("data:"):
                continue
            event = json.loads(line[5:])
            watch.events[event["kind"]] += 1
            if event["kind"] == "transcript":
                pages.latencies.arrived(str(event["detail"].get("text", "")))
            elif event["kind"] == "room.status" and event["detail"].get("status") == "recovering":
                watch.hung += 1


def webhook_receiver(watch: Watch) -> Starlette:
    async def receive(request: Request) -> Response:
        body = await request.body()
        watch.webhooks += 1
        watch.webhook_bytes += len(body)
        return Response(status_code=204)

    return Starlette(routes=[Route("/hooks", receive, methods=["POST"])])


def session_request(number: int, klass: int, rooms: int) -> dict[str, Any]:
    return {
        "meeting": {"number": str(number), "passcode": "pw123"},
        "professor": {"name": f"Prof. {klass}", "avatar_id": AVATAR_ID, "teaching_style": "Socratic"},
        "course": {"name": f"Course {klass}", "context": "Recursion: base cases and recursive steps."},
        "rooms": [{"name": f"Room {i + 1}", "student": {"name": f"Student {i + 1}"}} for i in range(rooms)],
    }


# ---- one step ------------------------------------------------------------------------------------------------


async def _until(check: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.5)
    return True


async def one_step(
    classes: int, *, rooms: int, steady_s: float, talk_every_s: float, changes: dict[str, Any], say: Say
) -> dict[str, Any]:
    total = classes * rooms
    watch = Watch()
    pages = PagesHost(talk_every_s=talk_every_s)
    with tempfile.TemporaryDirectory(prefix="bench-department-") as tmp:
        tmpdir = Path(tmp)
        pages_url = await pages.start()
        tasks: list[asyncio.Task[None]] = []
        try:
            async with (
                serve_app(webhook_receiver(watch)) as receiver,
                child("tests.bench.department_vendors", log=tmpdir / "vendors.log") as vendors,
            ):
                settings = {
                    "data_dir": str(tmpdir / "var"),
                    "api_token": ADMIN_TOKEN,
                    "liveavatar_api_base": vendors.announced["liveavatar"],
                    "liveavatar_api_key": API_KEY,
                    "max_bots": max(total, 1),
                    "webhook_urls": f"{receiver.base_url}/hooks",
                    **changes,
                }
                options = json.dumps({"pages_url": pages_url, "settings": settings})
                async with child("tests.bench.department_manager", options, log=tmpdir / "manager.log") as manager:
                    base = manager.announced["url"]
                    async with httpx.AsyncClient(
                        base_url=base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60
                    ) as admin:
                        await _healthy(admin)
                        started = time.monotonic()
                        for klass in range(1, classes + 1):
                            token, session_id = await _start_class(admin, klass, rooms)
                            tasks.append(asyncio.create_task(dashboard(base, token, session_id, pages, watch)))
                        all_live = await _until(lambda: pages.counts.avatar_starts >= total, LIVE_WITHIN_S)
                        live_s = time.monotonic() - started
                        if not all_live:
                            say(
                                f"  not every room went live; pages: {pages.counts}; manager's log ends: "
                                f"{tail(tmpdir / 'manager.log')}"
                            )
                        say(
                            f"  {classes} class(es): {pages.counts.avatar_starts}/{total} rooms live after "
                            f"{live_s:.0f}s; steady window of {steady_s:.0f}s"
                        )
                        await asyncio.sleep(min(talk_every_s, 10.0))  # every conversation under way
                        step = await _window(
                            manager.pid, tmpdir / "var" / "avatarfarm.sqlite3", pages, watch, steady_s, tasks
                        )
                    step["manager"]["log_tail"] = tail(tmpdir / "manager.log", 600)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await pages.stop()
    step.update(
        classes=classes,
        rooms=total,
        live_rooms=min(pages.counts.avatar_starts, total),
        all_live=all_live,
        live_s=live_s,
        event_kinds=dict(watch.events.most_common()),
    )
    step["bounded_by"] = bounded(step)
    return step


async def _healthy(admin: httpx.AsyncClient) -> None:
    for _ in range(300):
        with contextlib.suppress(httpx.HTTPError):
            if (await admin.get("/healthz")).status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError("the manager did not answer /healthz within a minute")


async def _start_class(admin: httpx.AsyncClient, klass: int, rooms: int) -> tuple[str, str]:
    """A professor (POST /api/professors) and their class's session under their own token."""
    made = await admin.post("/api/professors", json={"name": f"Prof. {klass}", "email": f"prof{klass}@cs.example.edu"})
    if made.status_code != 201:
        raise RuntimeError(f"professor refused: {made.status_code} {made.text}")
    token = str(made.json()["token"]["token"])
    number = random.randrange(10**9, 10**10)
    created = await admin.post(
        "/api/sessions", json=session_request(number, klass, rooms), headers={"Authorization": f"Bearer {token}"}
    )
    if created.status_code != 202:
        raise RuntimeError(f"session refused: {created.status_code} {created.text}")
    return token, str(created.json()["id"])


async def _window(
    pid: int, database: Path, pages: PagesHost, watch: Watch, seconds: float, dashboards: list[asyncio.Task[None]]
) -> dict[str, Any]:
    grown_from = database_bytes(database)
    cpu_from, own_from, at = cpu_seconds([pid]), time.process_time(), time.monotonic()
    hung_from, hooks_from, events_from = watch.hung, watch.webhooks, sum(watch.events.values())
    reports_from, beats_from, lines_from = pages.counts.reports, pages.counts.heartbeats, pages.counts.transcript_lines
    rss, pss = [], []
    pages.latencies.counting = True
    while time.monotonic() - at < seconds:
        await asyncio.sleep(min(5.0, seconds))
        rss.append(_rss_mib(pid))
        pss.append(pss_mib([pid]))
        for task in dashboards:
            if task.done() and task.exception() is not None:
                raise RuntimeError(f"a dashboard's stream failed: {task.exception()!r}")
    pages.latencies.counting = False
    elapsed = time.monotonic() - at
    cpu = cpu_seconds([pid]) - cpu_from
    grown = database_bytes(database) - grown_from
    rooms = sum(1 for page in pages.pages.values() if page.avatar_session is not None)
    return {
        "window_s": elapsed,
        "manager": {"cores": cpu / elapsed, "rss_mib": max(rss), "pss_mib": max(pss)},
        "bench_process_cores": (time.process_time() - own_from) / elapsed,
        "latency": latency_figures(pages.latencies.seen_s),
        "slow_lines_by_second": slow_by_second(pages.latencies, at),
        "lines_unseen": len(pages.latencies.sent),
        "database": {
            "grown_bytes": grown,
            "bytes_per_room_hour": per_room_hour(grown, rooms, elapsed),
            "end_bytes": grown_from + grown,
        },
        "reports_per_s": (pages.counts.reports - reports_from) / elapsed,
        "heartbeats_per_s": (pages.counts.heartbeats - beats_from) / elapsed,
        "transcript_lines_per_s": (pages.counts.transcript_lines - lines_from) / elapsed,
        "dashboard_events_per_s": (sum(watch.events.values()) - events_from) / elapsed,
        "webhooks_per_s": (watch.webhooks - hooks_from) / elapsed,
        "hung_in_window": watch.hung - hung_from,
    }


async def department(
    say: Say,
    steps: tuple[int, ...] = STEPS,
    *,
    rooms: int = ROOMS_PER_CLASS,
    steady_s: float = STEADY_S,
    talk_every_s: float = TALK_EVERY_S,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Each step a fresh manager; one class is always measured first, as the baseline in the same run."""
    wanted = tuple(sorted(set(steps) | {1}))
    results: dict[str, Any] = {}
    for classes in wanted:
        say(f"  {classes} class(es) of {rooms} rooms ({classes * rooms} bots), load average {os.getloadavg()[0]:.1f}")
        step = await one_step(
            classes, rooms=rooms, steady_s=steady_s, talk_every_s=talk_every_s, changes=changes or {}, say=say
        )
        step["load_average"] = os.getloadavg()[0]
        results[str(classes)] = step
        lat = step["latency"]
        say(
            f"  {classes} class(es): manager {step['manager']['cores']:.2f} cores, PSS "
            f"{step['manager']['pss_mib']:.0f} MiB; report→dashboard p50 {lat['p50_ms']} ms p99 {lat['p99_ms']} ms; "
            f"{step['database']['bytes_per_room_hour']} B/room-hour; bounded by: {step['bounded_by'] or 'nothing'}"
        )
    return {
        "rooms_per_class": rooms,
        "steady_s": steady_s,
        "talk_every_s": talk_every_s,
        "heartbeat_s": 2.0,
        "steps": results,
    }
