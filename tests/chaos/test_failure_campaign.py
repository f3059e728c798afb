"""The failure campaign: a real manager process runs a 4-room class on the fakes, with a student in every
room, while it is SIGKILLed in the middle of the deployment and restarted on the same DATA_DIR, then while a
random bot browser is SIGKILLed every 10 s and LiveAvatar answers bursts of 500 and 429. At the end every room
is live again, no avatar session bills without a live room owning it, and the rows add up: one open bot per
room, no vendor session twice, everything closed after the class ends.

AVATARFARM_CHAOS_SECONDS sets the chaos window (30 s by default, 120 s with `make chaos`); AVATARFARM_CHAOS_SEED
replays a run's choice of browsers. The figures go to tests/chaos/last_run.json and, with -s, to the terminal.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from farm.vendors.liveavatar_client import LiveAvatarClient
from tests.chaos.chaos import CampaignPlan, disarm_faults, run_chaos
from tests.chaos.ledger import read_ledger
from tests.chaos.manager_process import ManagerProcess
from tests.chaos.report import CampaignReport, Kill, attribute
from tests.fakes_zoom.harness import FakeZoom, running_fake_zoom
from tests.farm.harness import LA_API_KEY, TOKEN, liveavatar_server, session_request

PLAN = CampaignPlan.from_env()
REPORT_PATH = Path(__file__).with_name("last_run.json")
# Set-up, the deployment cut by the manager kill, the final recovery and the end, around the chaos window.
OVERHEAD_SECONDS = 360
ORPHANS_STOPPED_WITHIN_SECONDS = 10.0

pytestmark = [pytest.mark.browser, pytest.mark.chaos, pytest.mark.timeout(PLAN.seconds + OVERHEAD_SECONDS)]


async def _class_meeting(zoom: FakeZoom, rooms: tuple[str, ...]) -> str:
    """A meeting with self-select breakout rooms open and one (virtual) student in each room."""
    created = await zoom.create_meeting(
        passcode="pw123", breakout_rooms=list(rooms), breakout_options={"isRoomSelectionEnabled": True}
    )
    number = str(created["number"])
    await zoom.add_virtual(number, name="Host", host=True)
    for i in range(len(rooms)):
        await zoom.add_virtual(number, name=f"Student {i + 1}")
    await zoom.post(f"/fake/meetings/{number}/breakout/open")
    for i, room in enumerate(rooms):
        await zoom.post(f"/fake/meetings/{number}/breakout/move", name=f"Student {i + 1}", room=room)
    return number


async def _rooms(api: httpx.AsyncClient, session_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"/api/sessions/{session_id}")
    assert response.status_code == 200, response.text
    rooms: list[dict[str, Any]] = response.json()["rooms"]
    return rooms


async def _wait(
    api: httpx.AsyncClient, session_id: str, done: Callable[[list[dict[str, Any]]], bool], within: float, what: str
) -> float:
    """Seconds until `done(rooms)`; fails after `within` with every room's status and reason."""
    started = time.monotonic()
    while True:
        rooms = await _rooms(api, session_id)
        if done(rooms):
            return time.monotonic() - started
        if time.monotonic() - started > within:
            states = [(r["name"], r["status"], r["reason"], r["reason_text"]) for r in rooms]
            raise AssertionError(f"not {what} within {within:.0f}s: {states}")
        await asyncio.sleep(0.05)


def _all_live(rooms: list[dict[str, Any]]) -> bool:
    return all(r["status"] == "live" for r in rooms)


def _all_ended(rooms: list[dict[str, Any]]) -> bool:
    return all(r["status"] in ("ended", "failed") for r in rooms)


def _mid_deployment(rooms: list[dict[str, Any]]) -> bool:
    """A room live (its avatar billing: the restart must reap it) while others are still starting."""
    return any(r["status"] == "live" for r in rooms) and not _all_live(rooms)


async def _vendor_active(la_url: str) -> set[str]:
    client = LiveAvatarClient(la_url, LA_API_KEY, attempts=1)
    try:
        return {s.id for s in await client.active_sessions()}
    finally:
        await client.aclose()


VENDOR_FIELDS = ("id", "status", "created_at", "end_at", "end_reason", "duration", "credits_consumed")


async def _vendor_created(la_admin: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Every session the fake LiveAvatar ever created (a minted token creates one), by id."""
    response = await la_admin.get("/admin/sessions")
    assert response.status_code == 200, response.text
    return {s["id"]: {k: s.get(k) for k in VENDOR_FIELDS} for s in response.json()["data"]}


async def _settled_leaks(
    manager: ManagerProcess, session_id: str, la_url: str, within: float
) -> tuple[set[str], set[str]]:
    """(active at the vendor but not owned by an active row, active rows the vendor no longer runs), once they
    are both empty or `within` seconds have passed (a replaced avatar is closed a moment after its successor)."""
    deadline = time.monotonic() + within
    while True:
        vendor = await _vendor_active(la_url)
        rows = (await read_ledger(manager.database, session_id)).active_vendor_ids()
        leaked, unbilled = vendor - rows, rows - vendor
        if (not leaked and not unbilled) or time.monotonic() > deadline:
            return leaked, unbilled
        await asyncio.sleep(0.5)


async def _kills_seen(manager: ManagerProcess, session_id: str, kills: list[Kill], within: float) -> None:
    """Until every kill has ended a bot attempt, or `within` seconds have passed (the report then says which
    kill the farm did not notice)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        ledger = await read_ledger(manager.database, session_id)
        if all(outcome.room is not None for outcome in attribute(kills, ledger)):
            return
        await asyncio.sleep(0.25)


async def _still_active(la_url: str, sessions: set[str], within: float) -> set[str]:
    """Those of `sessions` still active at the vendor once none is, or after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        active = await _vendor_active(la_url) & sessions
        if not active or time.monotonic() > deadline:
            return active
        await asyncio.sleep(0.25)


async def _vendor_active_after_end(la_url: str, within: float) -> set[str]:
    """The sessions still active at the vendor once none is, or after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        active = await _vendor_active(la_url)
        if not active or time.monotonic() > deadline:
            return active
        await asyncio.sleep(0.5)


async def _campaign(tmp_path: Path, report: CampaignReport) -> None:
    async with running_fake_zoom() as zoom, liveavatar_server() as (la_url, la_admin):
        manager = ManagerProcess(
            tmp_path,
            zoom.base_url,
            la_url,
            avatar_quality="low",
            max_bots=str(len(PLAN.rooms)),
            launch_concurrency="2",
            # Random kills may hit one room several times in a row; the budget that gives such a room up is
            # tested on its own (tests/farm/test_farm_failures.py). Here every kill must be recovered.
            retry_budget=str(min(100, PLAN.kills + 4)),
            # Virtual students do not speak: no idle pause during the campaign.
            avatar_idle_minutes="60",
        )
        try:
            await manager.start()
            number = await _class_meeting(zoom, PLAN.rooms)
            # A new connection per request: on a loaded machine a poll can come more than uvicorn's 5 s keep-alive
            # after the last one, and a pooled connection the manager is closing fails the request.
            async with httpx.AsyncClient(
                base_url=manager.url,
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=30,
                limits=httpx.Limits(max_keepalive_connections=0),
            ) as api:
                response = await api.post("/api/sessions", json=session_request(number, list(PLAN.rooms)))
                assert response.status_code == 202, response.text
                session_id = response.json()["id"]

                # SIGKILL of the manager while the class is being deployed, then a restart on the same DATA_DIR.
                await _wait(api, session_id, _mid_deployment, 120, "part-way through the deployment")
                report.manager_kill_room_statuses = [r["status"] for r in await _rooms(api, session_id)]
                billing_at_kill = await _vendor_active(la_url)
                await manager.kill()
                report.manager_restart_ready_seconds = await manager.start()
                # The restart must stop what the killed manager left billing, itself and soon: the vendor's own
                # timeout for an absent client (30 s) is not the farm's doing.
                report.orphans_at_manager_kill = len(billing_at_kill)
                report.orphans_still_billing = sorted(
                    await _still_active(la_url, billing_at_kill, ORPHANS_STOPPED_WITHIN_SECONDS)
                )
                ledger = await read_ledger(manager.database, session_id)
                report.bots_lost_to_manager_kill = sum(b.status == "lost" for b in ledger.bots)

                kills = await run_chaos(PLAN, manager, la_admin)
                report.vendor_faults = await disarm_faults(la_admin)
                # The last kill lands at the end of the window: the farm must have seen it before "all live" means
                # anything.
                await _kills_seen(manager, session_id, kills, 20)

                report.all_live_after_chaos_seconds = await _wait(api, session_id, _all_live, 180, "all live")
                leaked, unbilled = await _settled_leaks(manager, session_id, la_url, 30)
                report.leaked_while_live = sorted(leaked)
                report.unbilled_rows_while_live = sorted(unbilled)
                ledger = await read_ledger(manager.database, session_id)
                report.open_bots_while_live = ledger.open_bots()
                report.duplicate_vendor_ids = ledger.duplicate_vendor_ids()
                report.kills = attribute(kills, ledger)

                # The class ends: nothing may stay open or billing.
                ended = await api.delete(f"/api/sessions/{session_id}")
                assert ended.status_code == 202, ended.text
                await _wait(api, session_id, _all_ended, 60, "ended")
                report.active_at_vendor_after_end = sorted(await _vendor_active_after_end(la_url, 30))
                ledger = await read_ledger(manager.database, session_id)
                report.open_rows_after_end = [a.id for a in ledger.open_avatars()] + [
                    b.id for b in ledger.bots if b.ended_at is None
                ]
                report.bot_attempts = len(ledger.bots)
                report.avatar_rows = len(ledger.avatars)
                created_at_vendor = await _vendor_created(la_admin)
                report.vendor_sessions_created = len(created_at_vendor)
                report.vendor_sessions_without_row = [
                    created_at_vendor[vendor] for vendor in sorted(set(created_at_vendor) - ledger.vendor_ids())
                ]
                report.rows_without_vendor_id = [
                    {"room": a.room, "status": a.status, "end_reason": a.end_reason}
                    for a in ledger.avatars
                    if a.vendor_session_id is None
                ]
        finally:
            await manager.stop()


async def test_every_room_comes_back_without_leaks_or_lost_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = CampaignReport(
        chaos_seconds=PLAN.seconds, rooms=len(PLAN.rooms), kill_interval_seconds=PLAN.kill_every, seed=PLAN.seed
    )
    began = time.monotonic()
    report.load_average.append(os.getloadavg()[0])
    try:
        await _campaign(tmp_path, report)
    finally:
        report.wall_seconds = time.monotonic() - began
        report.load_average.append(os.getloadavg()[0])
        report.write(REPORT_PATH)
        with capsys.disabled():
            print("\n" + report.table())

    assert report.manager_kill_room_statuses.count("live") < len(PLAN.rooms), "the manager was killed too late"
    assert report.orphans_at_manager_kill >= 1, "no avatar was billing when the manager was killed"
    assert report.orphans_still_billing == [], "the restart left the killed manager's avatar sessions billing"
    assert len(report.kills) >= PLAN.kills - 1, "the campaign found too few bot browsers to kill"
    assert [k for k in report.kills if k.room is None] == [], "a browser kill left no ended bot attempt"
    assert [k for k in report.kills if k.recovery_seconds is None] == [], "a room never came back after a kill"
    assert report.leaked_while_live == [], "avatar sessions billing that no live room owns"
    assert report.unbilled_rows_while_live == [], "rows say active, the vendor says ended"
    assert report.open_bots_while_live == {room: 1 for room in PLAN.rooms}
    assert report.duplicate_vendor_ids == []
    # A token minted at the instant of the manager's SIGKILL names a session no row could record. The token died
    # with the manager, so that session is never started and never billed; at most one per room was being started.
    never_started = [
        s for s in report.vendor_sessions_without_row if s["status"] == "CREATED" and not s["credits_consumed"]
    ]
    started = [s for s in report.vendor_sessions_without_row if s not in never_started]
    assert started == [], "vendor sessions the farm has no row for"
    assert len(never_started) <= len(PLAN.rooms)
    assert report.active_at_vendor_after_end == []
    assert report.open_rows_after_end == []
