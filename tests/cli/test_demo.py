"""`avatarfarm demo` as a newcomer runs it: a simulated class goes live, prints where to look and how to join, a
student's browser joins by the printed link, hears the avatar, leaves, and comes back to it twice; Ctrl-C then
stops everything (farm, bots, avatars, both fakes and their LiveKit server) within 15 s, leaving no process and
no port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright

from api.demo import EARLIER_RUN, SIM_ADMIN_TOKEN
from state.database import Database
from state.models import RoomStatus, SessionStatus
from state.repository import Repository
from state.secret_box import load_secret_box
from tests.support import process_tree
from tests.support.browsers import launch, launch_options
from tests.support.demo_process import demo_env, read_until, start_demo
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.media import speech_wav
from tests.support.polling import until
from tests.support.ports import free_port

pytestmark = pytest.mark.browser

QUESTIONS = ("What is a base case?", "Why does recursion need a base case?", "What does the call stack hold?")
PAUSE_AFTER_S = 6.0
# Loaded by every Python process of the demo (the farm, both fakes). Python code run in a forked child before exec
# (uvloop's spawn runs it, uvloop #749; so does preexec_fn) can deadlock when native threads enter Python, as the
# LiveKit SDK's do in the fake LiveAvatar: that froze it in a newcomer's demo (tests/cli/test_fork_safety.py).
FORK_HOOK = """
import os
_mark = os.environ.get("FORK_MARK")
if _mark:
    os.register_at_fork(after_in_child=lambda: os.write(os.open(_mark, os.O_WRONLY | os.O_CREAT | os.O_APPEND), b"x"))
"""  # the avatar pauses this long after the student left (AVATAR_IDLE_MINUTES, shortened)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def test_a_student_comes_back_twice_and_ctrl_c_leaves_nothing_behind(tmp_path: Path) -> None:
    """As a newcomer runs it: the printed link, the avatar heard, a pause after leaving, twice back, Ctrl-C."""
    ports = [free_port() for _ in range(3)]
    env = demo_env(avatar_idle_minutes=str(PAUSE_AFTER_S / 60))  # README: the demo takes the AVATARFARM_* settings
    # Every Python process of the demo marks a file when Python code runs in a child it forks (see FORK_HOOK).
    forked = tmp_path / "python-ran-after-fork"
    (tmp_path / "hook").mkdir()
    (tmp_path / "hook" / "sitecustomize.py").write_text(FORK_HOOK)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "hook"), *filter(None, [env.get("PYTHONPATH")])])
    env["FORK_MARK"] = str(forked)
    process = await start_demo(tmp_path / "demo", ports, 2, env)
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(120):
            while not any("Everything is ready" in line for line in lines):
                raw = await process.stdout.readline()
                assert raw, "the demo exited early:\n" + "".join(lines)
                lines.append(raw.decode())
        output = "".join(lines)
        assert "2/2 bots ready in their rooms" in output
        assert f"http://127.0.0.1:{ports[0]}/dashboard" in output
        token = (tmp_path / "demo" / "api_token").read_text().strip()
        assert "API token:  kept in" in output and token not in output  # standard output is a pipe here
        links = re.findall(rf"^  (Room \d)\s+(http://127\.0\.0\.1:{ports[1]}/join/\S+)$", output, re.MULTILINE)
        assert [room for room, _ in links] == ["Room 1", "Room 2"]
        link = links[0][1]
        assert "name=Grace&" in link  # the avatar greets the name the student joins with
        session_id = re.findall(r"\(session (ses_\w+)\)", output)[0]
        number = re.findall(r"meeting +(\d+)", output)[0]
        tree = set(process_tree.tree(process.pid))
        async with (
            httpx.AsyncClient(
                timeout=CLIENT_TIMEOUT, base_url=f"http://127.0.0.1:{ports[0]}", headers=_bearer(token)
            ) as farm,
            httpx.AsyncClient(
                timeout=CLIENT_TIMEOUT, base_url=f"http://127.0.0.1:{ports[1]}", headers=_bearer(SIM_ADMIN_TOKEN)
            ) as zoom,
            async_playwright() as playwright,
        ):
            room_id = (await farm.get(f"/api/sessions/{session_id}")).json()["rooms"][0]["id"]
            for visit, question in enumerate(QUESTIONS):  # the first visit, then back twice
                # The student talks (a question on loop), so the avatar answers: a new espeak-ng child each time.
                voice = speech_wav(question, tmp_path / f"visit-{visit}.wav", silence_after=2.5)
                student = await launch(playwright, **launch_options(fake_audio=voice))
                page = await student.new_page()
                said_before = await _lines(farm, session_id, room_id)
                await page.goto(link)
                await until(_room_is(farm, session_id, "live"), 60, f"the avatar on visit {visit + 1}")
                await until(_hears_the_avatar(zoom, number), 30, f"the student hearing the avatar on visit {visit + 1}")
                await until(
                    _answered(farm, session_id, room_id, said_before),
                    60,
                    f"an answer to the student on visit {visit + 1}",
                )
                tree |= set(process_tree.tree(process.pid))
                await student.close()
                await until(
                    _room_is(farm, session_id, "idle"), PAUSE_AFTER_S + 30, f"the pause after visit {visit + 1}"
                )
        tree |= set(process_tree.tree(process.pid))
        assert all(_listening(port) for port in ports)
        # The professor's dashboard is open on the event stream when Ctrl-C comes: it must not hold the stop.
        async with (
            httpx.AsyncClient(
                timeout=CLIENT_TIMEOUT, base_url=f"http://127.0.0.1:{ports[0]}", headers=_bearer(token)
            ) as dashboard,
            dashboard.stream("GET", "/api/events", timeout=None) as stream,
        ):
            assert stream.status_code == 200
            process.send_signal(signal.SIGINT)
            rest = await asyncio.wait_for(process.stdout.read(), 30)
        assert await asyncio.wait_for(process.wait(), 30) == 0
        assert "Demo stopped." in rest.decode()
        assert "did not stop within" not in rest.decode()  # each part stopped in its time (make bench: how long)
        assert "Traceback" not in output + rest.decode()
        await until(_group_gone(process.pid), 5, "every process of the demo's group to end")
        await until(_all_gone(tree - {process.pid}), 5, "every process the demo started to end")
        assert not any(_listening(port) for port in ports)
        assert not forked.exists(), "Python code ran between fork and exec in a child of the demo's processes"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _room_is(farm: httpx.AsyncClient, session_id: str, status: str) -> Callable[[], Awaitable[bool]]:
    seen: list[str] = []

    async def check() -> bool:
        session = (await farm.get(f"/api/sessions/{session_id}")).json()
        room = session["rooms"][0]
        now = f"{room['status']} ({room.get('reason')})"
        if not seen or seen[-1] != now:
            seen.append(now)
            print(f"room: {now}", flush=True)
        return bool(room["status"] == status)

    return check


async def _lines(farm: httpx.AsyncClient, session_id: str, room_id: str) -> list[dict[str, Any]]:
    transcript = await farm.get(f"/api/sessions/{session_id}/rooms/{room_id}/transcript")
    lines: list[dict[str, Any]] = transcript.json()["lines"]
    return lines


def _answered(
    farm: httpx.AsyncClient, session_id: str, room_id: str, before: list[dict[str, Any]]
) -> Callable[[], Awaitable[bool]]:
    """The student said something this visit and the avatar spoke after it."""

    async def check() -> bool:
        new = (await _lines(farm, session_id, room_id))[len(before) :]
        asked = next((i for i, line in enumerate(new) if line["role"] == "student"), None)
        return asked is not None and any(line["role"] == "avatar" for line in new[asked + 1 :])

    return check


def _hears_the_avatar(zoom: httpx.AsyncClient, number: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        roster = (await zoom.get(f"/fake/meetings/{number}/roster")).json()
        grace = next((p for p in roster["participants"] if p["name"] == "Grace"), None)
        streams = ((grace or {}).get("media") or {}).get("receiving") or []
        return any(s["name"].startswith("Prof.") and float(s.get("audioPeak") or 0) > 0.02 for s in streams)

    return check


def _group_gone(group: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        return False

    return check


def _all_gone(pids: set[int]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return not [pid for pid in pids if _alive(pid)]

    return check


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_a_taken_port_stops_the_demo_before_anything_starts(tmp_path: Path) -> None:
    zoom_port, liveavatar_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARFARM_")}
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        taken = holder.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "api.cli",
            "demo",
            "--port",
            str(taken),
            "--zoom-port",
            str(zoom_port),
            "--liveavatar-port",
            str(liveavatar_port),
            "--data-dir",
            str(tmp_path / "demo"),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert f"127.0.0.1:{taken}" in err.decode() and "--port" in err.decode()
    assert not _listening(zoom_port) and not _listening(liveavatar_port)  # no fake was left running
    assert b"Traceback" not in out + err


async def _demo_until(tmp_path: Path, ports: list[int], line: str) -> tuple[asyncio.subprocess.Process, str]:
    """Start `avatarfarm demo --rooms 1` in its own process group; return it once it has printed `line`."""
    process = await start_demo(tmp_path / "demo", ports, 1)
    return process, await read_until(process, line, 120)


async def test_the_fakes_and_their_livekit_server_die_with_a_killed_demo(tmp_path: Path) -> None:
    ports = [free_port() for _ in range(3)]
    process, _ = await _demo_until(tmp_path, ports, "fake LiveAvatar")
    try:
        async with httpx.AsyncClient(
            timeout=CLIENT_TIMEOUT, base_url=f"http://127.0.0.1:{ports[2]}", headers=_bearer(SIM_ADMIN_TOKEN)
        ) as la:
            assert (await la.get("/admin/livekit")).status_code == 200  # its LiveKit server runs from now on
        tree = set(process_tree.tree(process.pid))
        names = {process_tree.argv(pid)[0].rsplit("/", 1)[-1] for pid in tree if process_tree.argv(pid)}
        assert "livekit-server" in names, names
        process.kill()  # kill -9: no chance to clean up
        await process.wait()
        await until(_all_gone(tree - {process.pid}), 15, "the demo's fakes and their LiveKit server to end")
        await until(_ports_free(ports), 5, "the demo's ports to be free")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


async def test_ctrl_c_while_the_bots_deploy_stops_every_part_within_its_time(tmp_path: Path) -> None:
    ports = [free_port() for _ in range(3)]
    process, output = await _demo_until(tmp_path, ports, "Deploying")
    assert process.stdout is not None
    try:
        tree = set(process_tree.tree(process.pid))
        process.send_signal(signal.SIGINT)
        rest = (await asyncio.wait_for(process.stdout.read(), 30)).decode()
        assert await asyncio.wait_for(process.wait(), 30) == 0
        assert "Demo stopped." in rest and "Traceback" not in output + rest
        assert "did not stop within" not in rest  # neither the farm nor a fake was cut short
        await until(_all_gone(tree - {process.pid}), 5, "every process the demo started to end")
        await until(_ports_free(ports), 5, "the demo's ports to be free")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _ports_free(ports: list[int]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return not any(_listening(port) for port in ports)

    return check


async def test_a_demo_started_again_ends_the_sessions_its_earlier_run_left_active(tmp_path: Path) -> None:
    ports = [free_port() for _ in range(3)]
    first, _ = await _demo_until(tmp_path, ports, "Deploying")
    assert first.stdout is not None
    # Ctrl-C: the farm leaves its meetings but keeps the session (a server restart relaunches it); the meeting
    # itself goes with the first run's fake Zoom.
    first.send_signal(signal.SIGINT)
    await asyncio.wait_for(first.stdout.read(), 30)
    assert await asyncio.wait_for(first.wait(), 30) == 0
    second, output = await _demo_until(tmp_path, ports, "Deploying")
    assert second.stdout is not None
    try:
        assert "ended 1 session an earlier demo run left active" in output
        second.send_signal(signal.SIGINT)
        await asyncio.wait_for(second.stdout.read(), 30)
        assert await asyncio.wait_for(second.wait(), 30) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(second.pid, signal.SIGKILL)
    db = await Database.open(tmp_path / "demo" / "avatarfarm.sqlite3", apply_migrations=False)
    try:
        repository = Repository(db)
        repository.use_secret_box(load_secret_box(None, tmp_path / "demo"))  # passcodes are sealed at rest
        sessions = await repository.sessions.all()
    finally:
        await db.close()
    earlier = sessions[-1]  # newest first
    assert earlier.status is SessionStatus.ended and earlier.end_reason == EARLIER_RUN
    assert [room.status for room in earlier.rooms] == [RoomStatus.ended]  # closed, never relaunched into a failure
