"""The benchmark's measures of one class on the fakes, each run a fresh farm (independent runs): time to the
bots in their rooms, what a participant receives and hears, recovery after kill -9 of a bot's browser, a
student's wait for the avatar, and SIGTERM to the manager's exit.

At AVATAR_START=on_human (the default) a room goes live only when a student is in it, so every measure that
needs a live room puts a student there first, as a class would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from tests.bench.defaults import AVATAR_FPS, Setup
from tests.bench.probes import PROFESSOR, all_live, join_url, join_url_at, received_fps
from tests.bench.process_stats import bot_trees
from tests.bench.spread import figure
from tests.bench.unprivileged import bench_node
from tests.bench.waiting import until
from tests.farm.harness import FarmStack, running_farm

Say = Callable[[str], None]

# Evaluated in a student's page: taps the bot's audio and records its loudness every 10 ms in window.__heard.
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
LOUD = 0.02


@contextlib.asynccontextmanager
async def bench_farm(tmp: Path, setup: Setup, **extra: Any) -> AsyncIterator[FarmStack]:
    """A fresh farm on the fakes with `setup`'s settings and bot browsers (see tests/bench/unprivileged.py)."""
    config = {"avatar_fps": AVATAR_FPS, **extra.pop("liveavatar_config", {})}
    node = extra.pop("node", None) or bench_node(as_root=setup.as_root)
    async with running_farm(
        tmp, liveavatar_config=config, farm_options={"node": node}, **{**setup.settings, **extra}
    ) as stack:
        yield stack


def room_status(stack: FarmStack, session_id: str, *wanted: str, index: int = 0) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await stack.session(session_id))["rooms"][index]["status"] in wanted

    return check


def not_live(stack: FarmStack, session_id: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool((await stack.session(session_id))["rooms"][0]["status"] != "live")

    return check


def every_room(stack: FarmStack, session_id: str, *wanted: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return all(room["status"] in wanted for room in (await stack.session(session_id))["rooms"])

    return check


async def student_in(browser: Any, stack: FarmStack, number: str, student: str, room: str) -> Any:
    page = await browser.new_page()
    await page.goto(join_url(stack, number, student, room))
    return page


async def listening(page: Any) -> bool:
    return bool(await page.evaluate(STUDENT_PROBE, PROFESSOR))


QUIET_S = 1.5


async def quiet_for(page: Any, seconds: float) -> bool:
    """The student's page has heard nothing loud for the last `seconds` (and has listened that long)."""
    samples = await page.evaluate("() => window.__heard")
    if not samples or samples[-1][0] - samples[0][0] < seconds * 1000:
        return False
    since = samples[-1][0] - seconds * 1000
    return not any(t >= since and level > LOUD for t, level in samples)


async def first_loud_after(page: Any, since_ms: float, within: float) -> float:
    """Wall-clock ms of the first loud 10 ms reading at or after `since_ms` in the student's page."""

    async def heard() -> bool:
        return any(t >= since_ms and level > LOUD for t, level in await page.evaluate("() => window.__heard"))

    await until(heard, within, "the avatar heard at the student")
    samples = await page.evaluate("() => window.__heard")
    return float(next(t for t, level in samples if t >= since_ms and level > LOUD))


def _student_browser_options(tmp: Path) -> dict[str, Any]:
    from tests.support.browsers import launch_options
    from tests.support.media import moving_y4m

    return launch_options(fake_video=moving_y4m(Path(tmp) / "student.y4m"))


# ---- POST /api/sessions → every bot ready -------------------------------------------------------------------


async def time_to_ready(rooms: int, runs: int, setup: Setup, say: Say) -> dict[str, Any]:
    """POST /api/sessions until every bot is in its room (on_human: waiting for a student, nothing billed) or
    live (on_join)."""
    ready = "in_room" if setup.waits_for_a_human else "live"
    names = [f"Room {i + 1}" for i in range(rooms)]
    samples = []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            async with bench_farm(Path(tmp), setup) as stack:
                number = await stack.meeting(names)
                started = time.monotonic()
                created = await stack.start(number, names)
                await until(every_room(stack, created["id"], ready), 180, f"every room {ready}")
                samples.append(time.monotonic() - started)
        say(f"  {rooms} room(s), run {run + 1}/{runs}: every room {ready} after {samples[-1]:.2f}s")
    return {"ready_status": ready, "ready_s": figure(samples)}


# ---- what a participant receives and hears ------------------------------------------------------------------


async def media_and_latency(runs: int, setup: Setup, say: Say) -> dict[str, Any]:
    """Per run (a fresh farm): the frame rate a student receives from the bot, and REST `say` until the student
    hears it."""
    from playwright.async_api import async_playwright

    fps: list[float] = []
    latencies: list[float] = []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            async with bench_farm(Path(tmp), setup) as stack, async_playwright() as playwright:
                number = await stack.meeting(["Room 1"])
                created = await stack.start(number, ["Room 1"])
                browser = await playwright.chromium.launch(**_student_browser_options(Path(tmp)))
                try:
                    page = await student_in(browser, stack, number, "Listener", "Room 1")
                    await until(all_live(stack, created["id"]), 180, "the room live")
                    await until(partial(listening, page), 60, "the student hears the bot")
                    room_base = f"/api/sessions/{created['id']}/rooms/{created['rooms'][0]['id']}"
                    # The greeting has been heard and has ended: the bot has been quiet for a while.
                    await first_loud_after(page, 0, 60)
                    await until(partial(quiet_for, page, QUIET_S), 60, "the greeting ends")
                    sent = time.time() * 1000
                    said = {"text": "Let us look at the base case."}
                    response = await stack.client.post(f"{room_base}/say", json=said)
                    if response.status_code != 202:
                        raise RuntimeError(f"say refused: {response.text}")
                    onset = await first_loud_after(page, sent, 30)
                    latencies.append((onset - sent) / 1000)
                    received = (await received_fps(stack, number, ["Listener"]))["Listener"]
                    if received is None:
                        raise RuntimeError("the listener receives no video from the bot")
                    fps.append(received)
                finally:
                    await browser.close()
        say(f"  media run {run + 1}/{runs}: say-to-hear {latencies[-1]:.2f}s; receiving {fps[-1]:.0f} fps")
    return {"avatar_fps": AVATAR_FPS, "fps": figure(fps), "say_to_hear_s": figure(latencies)}


# ---- recovery ---------------------------------------------------------------------------------------------------


# The room's statuses a recovery passes through, in order; the steps are the gaps between them (from the kill).
RECOVERY_MARKS = ("recovering", "starting", "joining", "in_main_session", "in_room", "live")
RECOVERY_STEPS = (
    "kill → the farm notices (recovering)",
    "noticed → a new browser launches (starting; includes the backoff)",
    "launching → the bot page reports (joining)",
    "page → in the main session (meeting joined)",
    "main session → in its breakout room",
    "in its room → live (avatar)",
)


async def recovery_marks(stack: FarmStack, session_id: str, killed: float) -> list[float | None]:
    """When the room first reached each of RECOVERY_MARKS after `killed` (wall-clock), each after the previous."""
    events = await stack.repository.events.all(session_id=session_id, limit=5000)
    statuses = [(e.time, e.detail.get("status")) for e in events if e.kind == "room.status"]
    marks: list[float | None] = [killed]
    since = killed
    for status in RECOVERY_MARKS:
        at = _first_after([t for t, s in statuses if s == status], since)
        marks.append(at)
        since = at if at is not None else since
    return marks


async def recovery(runs: int, setup: Setup, say: Say) -> dict[str, Any]:
    """Per run (a fresh farm, a student in the room): kill -9 of the bot's main Chromium process until the room
    is live again, and step by step (RECOVERY_STEPS, from the room's status events)."""
    from playwright.async_api import async_playwright

    samples = []
    steps: dict[str, list[float | None]] = {step: [] for step in RECOVERY_STEPS}
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            async with bench_farm(Path(tmp), setup) as stack, async_playwright() as playwright:
                number = await stack.meeting(["Room 1"])
                created = await stack.start(number, ["Room 1"])
                browser = await playwright.chromium.launch(**_student_browser_options(Path(tmp)))
                try:
                    await student_in(browser, stack, number, "Student 1", "Room 1")
                    await until(all_live(stack, created["id"]), 180, "the room live")
                    [tree] = bot_trees()
                    killed, killed_wall = time.monotonic(), time.time()
                    os.kill(tree[0], signal.SIGKILL)
                    await until(not_live(stack, created["id"]), 30, "the farm notices the kill")
                    await until(all_live(stack, created["id"]), 180, "live again")
                    samples.append(time.monotonic() - killed)
                    marks = await recovery_marks(stack, created["id"], killed_wall)
                    for step, a, b in zip(RECOVERY_STEPS, marks[:-1], marks[1:], strict=True):
                        steps[step].append(b - a if a is not None and b is not None else None)
                finally:
                    await browser.close()
        say(
            f"  recovery run {run + 1}/{runs}: live again {samples[-1]:.2f}s after kill -9; "
            + "; ".join(f"{step}: {v[-1]:.2f}s" if v[-1] is not None else f"{step}: ?" for step, v in steps.items())
        )
    return {"recovery_s": figure(samples), "steps_s": {step: figure(values) for step, values in steps.items()}}


# ---- a student's wait -------------------------------------------------------------------------------------------


ARRIVAL_STEPS = (
    "student in the room → page asks for an avatar",
    "page asks → context sent to LiveAvatar",
    "context sent → token minted",
    "token minted → session started by the page",
    "session started → avatar ready (room live)",
    "room live → avatar's first frame at the student",
)


def _first_after(times: list[float], after: float) -> float | None:
    later = [t for t in times if t >= after]
    return min(later) if later else None


async def arrival_marks(
    stack: FarmStack, session_id: str, joining: float, arrived: float, seen: float
) -> list[float | None]:
    """When each step of a student's wait ended (wall-clock seconds; ARRIVAL_STEPS names the gaps), from the
    farm's room.status events and the times the fake LiveAvatar received the farm's context and token calls and
    the page SDK's start call (one machine, one clock). `joining`: when the student's page started to join;
    `arrived`: when the fake Zoom was seen to have the student in the room (polled, so the bot's page may see
    the student first: the arrival is then the page's request)."""
    events = await stack.repository.events.all(session_id=session_id, limit=5000)
    statuses = [(e.time, e.detail.get("status")) for e in events if e.kind == "room.status"]
    asked = _first_after([t for t, status in statuses if status == "avatar_connecting"], joining)
    arrived = min(arrived, asked) if asked is not None else arrived
    live = _first_after([t for t, status in statuses if status == "live"], joining)
    calls = (await stack.la_admin.get("/admin/calls")).json()["data"]

    def call(method: str, prefix: str) -> float | None:
        times = [float(c["time"]) for c in calls if c["method"] == method and c["path"].startswith(prefix)]
        return _first_after(times, asked or arrived)

    context = call("PATCH", "/v1/contexts/") or call("POST", "/v1/contexts")
    token = call("POST", "/v1/sessions/token")
    started = call("POST", "/v1/sessions/start")
    return [arrived, asked, context, token, started, live, seen]


def steps_between(marks: list[float | None]) -> dict[str, float | None]:
    return {
        step: (b - a if a is not None and b is not None else None)
        for step, a, b in zip(ARRIVAL_STEPS, marks[:-1], marks[1:], strict=True)
    }


async def first_avatar_frame(page: Any, within: float) -> float:
    """Wall-clock seconds when the student's page first presents a frame stamped by the fake avatar (its own
    picture, not the bot's placeholder card)."""
    from tests.bench.glass import GLASS_READER_JS

    probe = {"name": PROFESSOR, "frames": 1, "timeoutMs": 1000}

    async def stamped() -> bool:
        reading = await page.evaluate(GLASS_READER_JS, probe)
        return bool(reading and reading["ages"])

    await until(stamped, within, "the avatar's own frame at the student")
    return time.time()


async def student_arrival(runs: int, setup: Setup, say: Say) -> dict[str, Any]:
    """Per run (a fresh farm whose bot waits in its room): a student enters the room; until the room is live,
    until the student's page shows the avatar's own picture, and until the student hears the greeting; and the
    wait step by step (arrival_steps)."""
    from playwright.async_api import async_playwright

    live_s: list[float] = []
    seen_s: list[float] = []
    heard_s: list[float] = []
    steps: dict[str, list[float | None]] = {step: [] for step in ARRIVAL_STEPS}
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            async with (
                bench_farm(Path(tmp), setup, liveavatar_config={"stamp_frames": True}) as stack,
                async_playwright() as playwright,
            ):
                number = await stack.meeting(["Room 1"])
                created = await stack.start(number, ["Room 1"])
                sid = created["id"]
                await until(room_status(stack, sid, "in_room", "live"), 180, "the bot in its room")
                browser = await playwright.chromium.launch(**_student_browser_options(Path(tmp)))
                try:
                    joining = time.time()
                    page = await student_in(browser, stack, number, "Student", "Room 1")

                    async def in_room(stack: FarmStack = stack, number: str = number) -> bool:
                        try:
                            return bool((await stack.zoom.person(number, "Student"))["location"] == "breakout")
                        except AssertionError:
                            return False

                    await until(in_room, 60, "the student in the room")
                    arrived = time.time()
                    await until(partial(listening, page), 30, "the student's audio tap")
                    seen = await first_avatar_frame(page, 90)
                    heard = await first_loud_after(page, arrived * 1000, 60) / 1000
                    await until(room_status(stack, sid, "live"), 30, "the room live")
                    marks = await arrival_marks(stack, sid, joining, arrived, seen)
                    arrived = marks[0] or arrived
                    for step, value in steps_between(marks).items():
                        steps[step].append(value)
                    live = marks[-2]
                    if live is None:
                        raise RuntimeError("the room went live without a room.status event")
                    live_s.append(live - arrived)
                    seen_s.append(seen - arrived)
                    heard_s.append(heard - arrived)
                finally:
                    await browser.close()
        say(
            f"  student arrival run {run + 1}/{runs}: room live {live_s[-1]:.2f}s, avatar seen {seen_s[-1]:.2f}s, "
            f"heard {heard_s[-1]:.2f}s; "
            + "; ".join(f"{step}: {v[-1]:.2f}s" if v[-1] is not None else f"{step}: ?" for step, v in steps.items())
        )
    return {
        "live_s": figure(live_s),
        "seen_s": figure(seen_s),
        "heard_s": figure(heard_s),
        "steps_s": {step: figure(values) for step, values in steps.items()},
    }


# ---- SIGTERM ----------------------------------------------------------------------------------------------------


async def shutdown(runs: int, setup: Setup, say: Say, rooms: int = 2) -> dict[str, Any]:
    """Per run: `avatarfarm serve` in a process of its own with `rooms` live rooms (a student in each), SIGTERM,
    until it has exited; every bot must have left by itself (its attempt ends `server_restart`)."""
    from playwright.async_api import async_playwright

    from tests.fakes_zoom.harness import running_fake_zoom
    from tests.farm.harness import TOKEN, liveavatar_server, session_request
    from tests.support.manager_process import ManagerProcess

    names = [f"Room {i + 1}" for i in range(rooms)]
    samples = []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            async with (
                running_fake_zoom() as zoom,
                liveavatar_server(avatar_fps=AVATAR_FPS) as (la_url, _admin),
                async_playwright() as playwright,
            ):
                settings = {name: str(value) for name, value in setup.settings.items()}
                manager = ManagerProcess(Path(tmp), zoom.base_url, la_url, **settings)
                await manager.start()
                browser = await playwright.chromium.launch(**_student_browser_options(Path(tmp)))
                try:
                    created = await zoom.create_meeting(
                        passcode="pw123", breakout_rooms=names, breakout_options={"isRoomSelectionEnabled": True}
                    )
                    number = str(created["number"])
                    await zoom.add_virtual(number, name="Host", host=True)
                    await zoom.post(f"/fake/meetings/{number}/breakout/open")
                    headers = {"Authorization": f"Bearer {TOKEN}"}
                    async with httpx.AsyncClient(base_url=manager.url, headers=headers, timeout=30) as api:
                        response = await api.post("/api/sessions", json=session_request(number, names))
                        session_id = response.json()["id"]
                        for i, name in enumerate(names):
                            page = await browser.new_page()
                            await page.goto(join_url_at(zoom.base_url, number, f"Student {i + 1}", name))

                        async def live(api: httpx.AsyncClient = api, session_id: str = session_id) -> bool:
                            rooms_now = (await api.get(f"/api/sessions/{session_id}")).json()["rooms"]
                            return all(r["status"] == "live" for r in rooms_now)

                        await until(live, 180, "every room live")
                        started = time.monotonic()
                        manager.send(signal.SIGTERM)
                        await manager.exited(60)
                        samples.append(time.monotonic() - started)
                finally:
                    await browser.close()
                    await manager.stop()
        say(f"  shutdown run {run + 1}/{runs}: exited {samples[-1]:.2f}s after SIGTERM")
    return {"rooms": rooms, "exit_s": figure(samples)}
