"""Scripted bot pages for the farm's tests: a browser node whose bots are scripts (no Chromium), each page a
ScriptedBrowser the test drives with reports (states, events, heartbeats) and that answers the farm's commands
as the real page does; a Rig is one room's runner over it, with the fake LiveAvatar behind. One place for every
test that scripts a page."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from farm.browsers.browser_node import NoticeHandler, PageUrl, ReportHandler, url_now
from farm.browsers.capacity import Capacity
from farm.room.bot_tickets import BotTickets
from farm.room.live_media import LiveMediaStore
from farm.room.room_runner import RoomRunner
from farm.room.services import FarmServices
from farm.vendors.liveavatar_client import LiveAvatarClient
from state.database import Database
from state.models import Course, Meeting, NewRoom, NewSession, Professor, RoomStatus, Student
from state.repository import Repository
from tests.farm.harness import AVATAR_ADA, LA_API_KEY, farm_settings, liveavatar_server
from tests.support.ports import NOWHERE


@dataclass
class ScriptedBrowser:
    on_report: ReportHandler
    on_notice: NoticeHandler
    calls: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    closed: bool = False
    avatar_starts: bool = True
    # False: `startAvatar` gets no answer in time (a loaded page); the page may still take the token later.
    start_answers: bool = True
    # The page's side of `avatarfarm.pulse()`: when it last sent a heartbeat (ms), whether its heartbeats are
    # held up on their way to the farm, and whether it answers the farm's question at all.
    last_heartbeat_at: float | None = None
    heartbeats_held: bool = False
    answers_pulse: bool = True
    pulse_delay: float = 0.0  # seconds its answer takes on its way (a loaded node or driver)

    def report(self, message: dict[str, Any]) -> None:
        self.on_report(message)

    def state(self, state: str, **extra: Any) -> None:
        self.report({"type": "state", "state": state, "detail": {}, **extra})

    def heartbeat(self, humans: int = 1) -> None:
        self.last_heartbeat_at = time.time() * 1000
        if not self.heartbeats_held:
            self.report({"type": "heartbeat", "state": "live", "stats": {"humans_in_room": humans}})

    def event(self, kind: str, **detail: Any) -> None:
        self.report({"type": "event", "kind": kind, "detail": detail})

    async def evaluate(self, expression: str, arg: Any = None, *, within: float = 15.0) -> Any:
        self.calls.append(expression)
        if "pulse" in expression:
            if not self.answers_pulse:
                await asyncio.sleep(within)
                raise TimeoutError
            async with asyncio.timeout(within):  # as BrowserNode.evaluate bounds it
                await asyncio.sleep(self.pulse_delay)
            return {"now": time.time() * 1000, "last_heartbeat_at": self.last_heartbeat_at}
        if "leave" in expression:
            self.state("leaving")
            self.state("ended")
        if "startAvatar" in expression:
            self.tokens.append(arg["session_token"])
            if not self.start_answers:
                raise TimeoutError  # what BrowserNode.evaluate raises once `within` has passed
            if self.avatar_starts:
                self.state("avatar_connecting")
                self.event("avatar.ready", session_id="x")
                self.state("live")
            return {"accepted": True}
        return {"state": "ended"}

    async def close(self) -> None:
        self.closed = True


class ScriptedNode:
    name = "scripted"

    def __init__(self) -> None:
        self.bots: list[ScriptedBrowser] = []
        self.opened = asyncio.Event()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def prewarm(self, size: int) -> None:
        return None

    def place(self, room_id: str) -> str:
        return self.name

    async def open_bot(
        self,
        name: str,
        url: PageUrl,
        *,
        on_report: ReportHandler,
        on_notice: NoticeHandler,
        before_load: Any = None,
        room_id: str | None = None,
    ) -> Any:
        assert "/bot/" in url_now(url)
        bot = ScriptedBrowser(on_report, on_notice)
        self.bots.append(bot)
        self.opened.set()
        return bot

    async def next_bot(self, count: int) -> ScriptedBrowser:
        for _ in range(400):
            if len(self.bots) >= count:
                return self.bots[count - 1]
            await asyncio.sleep(0.05)
        raise AssertionError(f"bot {count} was never launched")


@dataclass
class Rig:
    services: FarmServices
    node: ScriptedNode
    repository: Repository
    room_id: str
    runner: RoomRunner
    admin: httpx.AsyncClient

    async def status(self) -> tuple[RoomStatus, str | None, str | None]:
        room = await self.repository.sessions.get_room(self.room_id)
        assert room is not None
        return room.status, room.reason, room.reason_text

    async def wait_passed(self, status: RoomStatus, within: float = 20) -> dict[str, Any]:
        """The detail of the first room.status event to `status` (transient statuses can outrun a poll)."""
        for _ in range(int(within / 0.05)):
            for event in await self.repository.events.all(room_id=self.room_id, limit=1000):
                if event.kind == "room.status" and event.detail.get("status") == status.value:
                    return event.detail
            await asyncio.sleep(0.05)
        raise AssertionError(f"room never passed through {status}")

    async def wait_status(self, status: RoomStatus, within: float = 20) -> tuple[RoomStatus, str | None, str | None]:
        for _ in range(int(within / 0.05)):
            current = await self.status()
            if current[0] is status:
                return current
            await asyncio.sleep(0.05)
        raise AssertionError(f"room never became {status}: {await self.status()}")

    async def live_bot(self, attempt: int = 1) -> ScriptedBrowser:
        """The runner's `attempt`-th bot, taken to its room, given its avatar and seen `live` by the farm."""
        bot = await self.node.next_bot(attempt)
        await go_live(bot)
        await self.wait_status(RoomStatus.live)
        return bot


MakeRig = Callable[..., Awaitable[Rig]]


@contextlib.asynccontextmanager
async def scripted_rigs(tmp_path: Path, **client_options: Any) -> AsyncIterator[MakeRig]:
    """Make rigs over one database and one fake LiveAvatar: `make(avatar_id=…, voice_id=…, **services)` starts a
    runner for a one-room session; every runner is cancelled at the end."""
    db = await Database.open(tmp_path / "runner.sqlite3")
    repository = Repository(db)
    rigs: list[Rig] = []
    async with liveavatar_server() as (la_url, admin):
        client = LiveAvatarClient(la_url, LA_API_KEY, **{"attempts": 1, **client_options})

        async def make(avatar_id: str = AVATAR_ADA, voice_id: str | None = None, **options: Any) -> Rig:
            settings = farm_settings(tmp_path / "var", NOWHERE, la_url, NOWHERE)
            node = ScriptedNode()
            services = FarmServices(
                repository=repository,
                settings=settings,
                node=node,
                liveavatar=client,
                zoom=None,
                tickets=BotTickets(),
                media=LiveMediaStore(),
                capacity=Capacity(2),
                launching=asyncio.Semaphore(2),
                **options,
            )
            session, _ = await repository.sessions.create(
                NewSession(
                    meeting=Meeting(number="85746065432", passcode="pw"),
                    professor=Professor(name="Prof. Ada", avatar_id=avatar_id, voice_id=voice_id),
                    course=Course(name="CS 101"),
                    rooms=(NewRoom("Room 1", Student("Grace")),),
                )
            )
            room = session.rooms[0]
            runner = RoomRunner(services, session, room, on_done=lambda _: None)
            rig = Rig(services, node, repository, room.id, runner, admin)
            rigs.append(rig)
            runner.start()
            return rig

        try:
            yield make
        finally:
            for rig in rigs:
                await rig.runner.cancel()
            await client.aclose()
            await db.close()


@pytest.fixture
async def rig_factory(tmp_path: Path) -> AsyncIterator[MakeRig]:
    async with scripted_rigs(tmp_path) as make:
        yield make


async def in_room(bot: ScriptedBrowser) -> None:
    for state in ("starting", "joining", "in_main_session", "joining_breakout", "in_room"):
        bot.state(state)
    bot.heartbeat()


async def go_live(bot: ScriptedBrowser) -> None:
    await in_room(bot)
    bot.event("avatar.wanted", why="human_arrived", humans=["Grace Hopper"], room="Room 1")
