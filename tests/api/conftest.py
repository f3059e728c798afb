"""An app per test on a fresh data dir, an httpx client with and without the token, and a recording farm."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from farm.errors import FarmError
from farm.room.live_media import LiveMedia, LiveMediaStore
from farm.settings import Settings, load_settings
from state import inspection
from state.models import RoomStatus
from state.repository import Repository
from tests.support.healthz_stub import answering_healthz
from tests.support.queued_farm import QueuedFarm

TOKEN = "test-token-0123456789-5f0c1d2e3a4b6978"
UNREACHABLE_LIVEAVATAR = "http://127.0.0.1:9"


@dataclass
class RecordingFarm:
    """A FarmManager that records every call; tests move rooms along through the repository themselves."""

    repository: Repository
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    ready: bool = True
    fail_with: Exception | None = None
    end_immediately: bool = True
    media: LiveMediaStore = field(default_factory=LiveMediaStore)

    async def start(self) -> None:
        self.calls.append(("start", ()))

    async def stop(self) -> None:
        self.calls.append(("stop", ()))

    def is_ready(self) -> bool:
        return self.ready

    def node_status(self) -> list[Any]:
        return []

    async def _record(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        if self.fail_with is not None:
            raise self.fail_with

    async def start_session(self, session_id: str) -> None:
        await self._record("start_session", session_id)

    async def end_session(self, session_id: str) -> None:
        await self._record("end_session", session_id)
        if self.end_immediately:
            await QueuedFarm(self.repository).end_session(session_id)

    async def say(self, room_id: str, text: str) -> None:
        await self._record("say", room_id, text)

    async def interrupt(self, room_id: str) -> None:
        await self._record("interrupt", room_id)

    async def restart_room(self, room_id: str) -> None:
        await self._record("restart_room", room_id)

    async def update_context(self, room_id: str, text: str) -> None:
        await self._record("update_context", room_id, text)

    async def leave_room(self, room_id: str) -> None:
        await self._record("leave_room", room_id)
        await self.repository.sessions.set_room_status(room_id, RoomStatus.ended, reason="left")

    def live_media(self, room_id: str) -> LiveMedia | None:
        return self.media.get(room_id)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    settings: Settings
    farm: Any

    @property
    def repository(self) -> Repository:
        repository: Repository = self.app.state.repository
        return repository

    async def create_session(self, rooms: int = 2, **changes: Any) -> dict[str, Any]:
        body = session_body(rooms=rooms, **changes)
        response = await self.client.post("/api/sessions", json=body)
        assert response.status_code == 202, response.text
        created: dict[str, Any] = response.json()
        return created

    async def make_live(self, room_id: str) -> None:
        await self.repository.sessions.set_room_status(room_id, RoomStatus.starting)  # a bot first: the table
        await self.repository.sessions.set_room_status(room_id, RoomStatus.live)

    async def row_counts(self) -> dict[str, int]:
        tables = ("sessions", "rooms", "bots", "avatar_sessions", "events", "transcripts")
        return await inspection.row_counts(self.repository, tables)


SESSION_BODY: dict[str, Any] = {
    "meeting": {"number": "85746065432", "passcode": "x7Yq2"},
    "professor": {
        "name": "Prof. Ada Lovelace",
        "avatar_id": "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a",
        "voice_id": "en-gb-warm",
        "teaching_style": "Socratic",
    },
    "course": {"name": "CS 101", "context": "Recursion and base cases."},
    "rooms": [],
}


def session_body(rooms: int = 2, **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(SESSION_BODY)
    body["rooms"] = [{"name": f"Room {i + 1}", "student": {"name": f"Student {i + 1}"}} for i in range(rooms)]
    body.update(changes)
    return body


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "api_token": TOKEN,
        "max_bots": 6,
        # Nothing listens there: LiveAvatar is unreachable, so sessions start without the avatar check (the
        # outage rule). tests/api/test_liveavatar_choices.py runs the fake LiveAvatar instead.
        "liveavatar_api_base": UNREACHABLE_LIVEAVATAR,
    }
    values.update(overrides)
    return load_settings(**values)


FarmChoice = Callable[[Repository], Any]


@pytest.fixture
def farm_choice() -> FarmChoice:
    """Which farm the app gets; tests override this fixture (default: a RecordingFarm)."""
    return lambda repository: RecordingFarm(repository)


@pytest.fixture
async def api(tmp_path: Path, farm_choice: FarmChoice) -> AsyncIterator[Api]:
    async with answering_healthz() as fakes:  # the simulated services answer: /readyz depends on them
        async with _api(
            tmp_path, farm_choice, make_settings(tmp_path, zoom_api_base=fakes, liveavatar_api_base=fakes)
        ) as api:
            yield api


@contextlib.asynccontextmanager
async def _api(tmp_path: Path, farm_choice: FarmChoice, settings: Settings) -> AsyncIterator[Api]:
    farms: list[Any] = []

    def factory(repository: Repository, *_: Any) -> Any:
        farms.append(farm_choice(repository))
        return farms[-1]

    app = create_app(settings, farm_factory=factory)
    async with app.router.lifespan_context(app):
        # Like a real server: an unhandled error becomes a 500 response, not an exception in the test.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with (
            httpx.AsyncClient(
                transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {TOKEN}"}
            ) as client,
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as anonymous,
        ):
            yield Api(app, client, anonymous, settings, farms[0])


def farm_error(message: str = "The farm is out of browsers.") -> FarmError:
    return FarmError(message)
