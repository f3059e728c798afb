"""Every failure on the money path is logged with its room and its vendor session: the reaper's stop of a session
nobody owns, and the meter's usage read. (No browser: the farm's reaper and meter against the fake LiveAvatar.)"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from farm.manager import Farm
from farm.room.bot_tickets import BotTickets
from farm.vendors.liveavatar_client import LiveAvatarClient
from state.database import Database
from state.models import Course, Meeting, NewRoom, NewSession, Professor, Student
from state.repository import Repository
from tests.farm.harness import AVATAR_ADA, LA_API_KEY, farm_settings, liveavatar_server
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.ports import NOWHERE


@dataclass
class Billing:
    farm: Farm
    admin: httpx.AsyncClient
    room_id: str
    vendor: str


@pytest.fixture
async def billing(tmp_path: Path) -> AsyncIterator[Billing]:
    """A farm (not started) whose database records one live avatar session that no bot of it owns."""
    db = await Database.open(tmp_path / "money.sqlite3")
    repository = Repository(db)
    async with liveavatar_server() as (la_url, admin):
        client = LiveAvatarClient(la_url, LA_API_KEY, attempts=1)
        settings = farm_settings(tmp_path / "var", NOWHERE, la_url, NOWHERE)
        farm = Farm(repository, settings, BotTickets(), liveavatar=client)
        session, _ = await repository.sessions.create(
            NewSession(
                meeting=Meeting(number="85746065432", passcode="pw"),
                professor=Professor(name="Prof. Ada", avatar_id=AVATAR_ADA),
                course=Course(name="CS 101"),
                rooms=(NewRoom("Room 1", Student("Grace")),),
            )
        )
        room_id = session.rooms[0].id
        minted = await client.session_token(avatar_id=AVATAR_ADA, context_id=None, quality="low")
        async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT, base_url=la_url) as page:
            started = await page.post("/v1/sessions/start", headers={"Authorization": f"Bearer {minted.token}"})
            assert started.status_code == 201, started.text
        row = await repository.avatars.open(room_id, bot_id=None)
        await repository.avatars.started(row.id, vendor_session_id=minted.session_id)
        try:
            yield Billing(farm, admin, room_id, minted.session_id)
        finally:
            await client.aclose()
    await db.close()


async def _fail(admin: httpx.AsyncClient, method: str, path: str) -> None:
    fault = {"method": method, "path": path, "fault": "500", "times": 5}
    assert (await admin.post("/admin/faults", json=fault)).status_code in (200, 201)


async def test_a_reaper_stop_that_fails_is_logged_with_its_room_and_vendor_session(
    billing: Billing, caplog: pytest.LogCaptureFixture
) -> None:
    await _fail(billing.admin, "POST", "/v1/sessions/stop")
    with caplog.at_level(logging.WARNING, logger="avatarfarm.farm"):
        await billing.farm.reap()
    [line] = [r.getMessage() for r in caplog.records if "could not stop" in r.getMessage()]
    assert billing.room_id in line and billing.vendor in line


async def test_a_usage_read_that_fails_is_logged_with_its_room_and_vendor_session(
    billing: Billing, caplog: pytest.LogCaptureFixture
) -> None:
    await _fail(billing.admin, "GET", "/v1/sessions/{session_id}")
    with caplog.at_level(logging.WARNING, logger="avatarfarm.farm"):
        await billing.farm.meter()
    [line] = [r.getMessage() for r in caplog.records if "usage" in r.getMessage()]
    assert billing.room_id in line and billing.vendor in line
