"""The manager as a real process: SIGKILL and restart reconciles without duplicates or leaks; SIGTERM leaves
every meeting and stops every avatar before it exits."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from farm.browsers.orphans import Owner
from farm.vendors.liveavatar_client import LiveAvatarClient
from tests.fakes_zoom.harness import FakeZoom, running_fake_zoom
from tests.farm.harness import LA_ADMIN, LA_API_KEY, TOKEN, liveavatar_server, session_request
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.manager_process import ManagerProcess

pytestmark = pytest.mark.browser

ROOMS = ["Room 1", "Room 2"]
STOP_GRACE_SECONDS = 60  # what README and deploy/ tell containers to give `avatarfarm serve` on SIGTERM


def _marked_by(owner: Owner) -> list[int]:
    """Every process carrying the owner's marker, helpers included: what a stopped manager may not leave."""
    found = []
    marker = owner.marker().encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if marker in argv:
                found.append(int(entry.name))
    return found


@asynccontextmanager
async def class_on_a_manager(tmp_path: Path) -> AsyncIterator[tuple[FakeZoom, str, ManagerProcess, str, str]]:
    async with running_fake_zoom() as zoom, liveavatar_server() as (la_url, _admin):
        manager = ManagerProcess(tmp_path, zoom.base_url, la_url, avatar_quality="low", avatar_start="on_join")
        try:
            await manager.start()
            created = await zoom.create_meeting(
                passcode="pw123", breakout_rooms=ROOMS, breakout_options={"isRoomSelectionEnabled": True}
            )
            number = str(created["number"])
            await zoom.add_virtual(number, name="Host", host=True)
            await zoom.post(f"/fake/meetings/{number}/breakout/open")
            async with httpx.AsyncClient(
                timeout=CLIENT_TIMEOUT, base_url=manager.url, headers={"Authorization": f"Bearer {TOKEN}"}
            ) as api:
                response = await api.post("/api/sessions", json=session_request(number, ROOMS))
                assert response.status_code == 202, response.text
                session_id = response.json()["id"]
                await _all_live(api, session_id)
            yield zoom, la_url, manager, number, session_id
        finally:
            if manager.process is not None and manager.process.returncode is None:
                await manager.kill()
            await manager.stop()  # (exited: only the bot browsers of every manager it started)


async def _all_live(api: httpx.AsyncClient, session_id: str, within: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        session: dict[str, Any] = (await api.get(f"/api/sessions/{session_id}")).json()
        if all(room["status"] == "live" for room in session["rooms"]):
            return session
        assert time.monotonic() < deadline, [(r["name"], r["status"], r["reason_text"]) for r in session["rooms"]]
        await asyncio.sleep(0.25)


async def _active_vendor_sessions(la_url: str) -> list[str]:
    client = LiveAvatarClient(la_url, LA_API_KEY, attempts=1)
    try:
        return [s.id for s in await client.active_sessions()]
    finally:
        await client.aclose()


async def _bots(zoom: FakeZoom, number: str) -> list[str]:
    return [p["name"] for p in (await zoom.roster(number))["participants"] if "(AI)" in p["name"]]


async def test_sigkill_then_restart_reconciles_without_duplicates_or_leaks(tmp_path: Path) -> None:
    async with class_on_a_manager(tmp_path) as (zoom, la_url, manager, number, session_id):
        assert manager.process is not None
        old = manager.owners[-1]
        before = set(await _active_vendor_sessions(la_url))
        assert len(before) == 2
        manager.send(signal.SIGKILL)
        await manager.exited(10)
        await manager.start()
        async with httpx.AsyncClient(
            timeout=CLIENT_TIMEOUT, base_url=manager.url, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as api:
            session = await _all_live(api, session_id)
            for room in session["rooms"]:
                detail = (await api.get(f"/api/sessions/{session_id}/rooms/{room['id']}")).json()
                # The bot that was running at the SIGKILL is lost (a loaded machine may have relaunched one earlier).
                statuses = [bot["status"] for bot in detail["bots"]]
                assert statuses.count("lost") == 1, statuses
                avatars = [a["status"] for a in detail["avatar_sessions"]]
                assert avatars[-1] == "active" and set(avatars[:-1]) == {"stopped"}, avatars
        assert sorted(await _bots(zoom, number)) == sorted(f"Prof. Ada (AI) · {r}" for r in ROOMS)
        after = set(await _active_vendor_sessions(la_url))
        assert len(after) == 2 and not (after & before)  # the old avatars were reaped, none leaked
        assert _marked_by(old) == []  # no browser of the killed manager survives


async def test_sigterm_leaves_every_meeting_and_stops_every_avatar(tmp_path: Path) -> None:
    """Every bot leaves its meeting by itself (its attempt ends `server_restart`, not cut off by the manager's
    shutdown deadline, which would end it `shutdown`), within the stop grace period containers are given.
    How long it takes is a benchmark (`python -m tests.bench --only shutdown_s`)."""
    async with class_on_a_manager(tmp_path) as (zoom, la_url, manager, number, session_id):
        assert manager.process is not None
        owner = manager.owners[-1]
        manager.send(signal.SIGTERM)
        await manager.exited(STOP_GRACE_SECONDS)
        assert await _bots(zoom, number) == []
        assert await _active_vendor_sessions(la_url) == []
        assert _marked_by(owner) == []
        # The class is still wanted: a restart relaunches it.
        await manager.start()
        async with httpx.AsyncClient(
            timeout=CLIENT_TIMEOUT, base_url=manager.url, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as api:
            session = await _all_live(api, session_id)
            for room in session["rooms"]:
                detail = (await api.get(f"/api/sessions/{session_id}/rooms/{room['id']}")).json()
                ended = [bot["end_reason"] for bot in detail["bots"] if bot["ended_at"] is not None]
                assert ended == ["server_restart"], detail["bots"]


async def test_sigterm_waits_for_avatar_stops_still_under_way(tmp_path: Path) -> None:
    """LiveAvatar slow to answer the stops (longer than the bots take to leave): the manager still sees every stop
    through before it closes its HTTP clients and exits, so no avatar bills on after it."""
    async with class_on_a_manager(tmp_path) as (zoom, la_url, manager, number, _session_id):
        assert len(await _active_vendor_sessions(la_url)) == 2
        async with httpx.AsyncClient(
            timeout=CLIENT_TIMEOUT, base_url=la_url, headers={"Authorization": f"Bearer {LA_ADMIN}"}
        ) as admin:
            slow = {"method": "POST", "path": "/v1/sessions/stop", "fault": "slow", "hang_seconds": 9.5, "times": 2}
            armed = await admin.post("/admin/faults", json=slow)
            assert armed.status_code in (200, 201), armed.text
        manager.send(signal.SIGTERM)
        await manager.exited(60)
        assert await _active_vendor_sessions(la_url) == []
        assert await _bots(zoom, number) == []
