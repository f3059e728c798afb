"""The farm on the fakes: fake Zoom and fake LiveAvatar in-process, and the API server with the real Farm
(browsers and all), driven over REST as a professor would."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from api.app import create_app
from api.dashboard import session_cookie
from fakes.liveavatar import FakeLiveAvatarConfig
from fakes.liveavatar import create_app as create_liveavatar
from farm.manager import Farm
from farm.room.bot_tickets import BotTickets
from farm.settings import Settings, load_settings
from farm.tls_context import shared_tls_context
from farm.vendors.liveavatar_client import LiveAvatarClient
from farm.vendors.zoom_client import ZoomClient
from state.repository import Repository
from tests.fakes_zoom.harness import (
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    SDK_KEY,
    SDK_SECRET,
    FakeZoom,
    running_fake_zoom,
)
from tests.support.ports import bound_socket
from tests.support.servers import serve_app

TOKEN = "farm-tests-token-5f0c1d2e3a4b6978"
LA_API_KEY = "farm-tests-liveavatar-key"
LA_ADMIN = "farm-tests-admin"
AVATAR_ADA = "3b8f0c1e-5a52-4f43-a0a4-6e6f1c2d9b10"


def session_request(number: str, rooms: list[str], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "meeting": {"number": number, "passcode": "pw123"},
        "professor": {"name": "Prof. Ada", "avatar_id": AVATAR_ADA, "teaching_style": "Socratic"},
        "course": {"name": "CS 101", "context": "Recursion: base cases and recursive steps."},
        "rooms": [{"name": name, "student": {"name": f"Student {i + 1}"}} for i, name in enumerate(rooms)],
    }
    body.update(changes)
    return body


# How many of the farm's latest warnings a failed wait prints (CI shows only the head and tail of its output).
WARNINGS_KEPT = 25


class _KeptWarnings(logging.Handler):
    """The farm's latest warnings (avatarfarm.*), with their times, for a failure to print."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: deque[str] = deque(maxlen=WARNINGS_KEPT)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{time.strftime('%H:%M:%S', time.localtime(record.created))} {record.getMessage()[:300]}")


@contextlib.contextmanager
def _kept_warnings() -> Iterator[_KeptWarnings]:
    handler, logger = _KeptWarnings(), logging.getLogger("avatarfarm")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@dataclass
class FarmStack:
    zoom: FakeZoom
    liveavatar_url: str
    la_admin: httpx.AsyncClient
    api: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    warnings: deque[str] = field(default_factory=deque)

    @property
    def farm(self) -> Farm:
        farm: Farm = self.api.state.farm
        return farm

    @property
    def repository(self) -> Repository:
        repository: Repository = self.api.state.repository
        return repository

    async def meeting(
        self, rooms: list[str], *, self_select: bool = True, open_rooms: bool = True, **settings: Any
    ) -> str:
        """A meeting with a host and these breakout rooms, open unless `open_rooms` is false (a lecture first)."""
        options = {"isRoomSelectionEnabled": True} if self_select else {}
        created = await self.zoom.create_meeting(
            passcode="pw123", breakout_rooms=rooms, breakout_options=options, **settings
        )
        number = str(created["number"])
        await self.zoom.add_virtual(number, name="Host", host=True)
        if open_rooms:
            await self.zoom.post(f"/fake/meetings/{number}/breakout/open")
        return number

    async def start(self, number: str, rooms: list[str], **changes: Any) -> dict[str, Any]:
        response = await self.client.post("/api/sessions", json=session_request(number, rooms, **changes))
        assert response.status_code == 202, response.text
        created: dict[str, Any] = response.json()
        return created

    async def connect_zoom(self, user: str) -> str:
        """The professor's OAuth consent, as a browser signed in to the dashboard would do it; returns the
        callback page's text."""
        cookie, signed_in = session_cookie.issue(TOKEN)
        async with httpx.AsyncClient(
            verify=shared_tls_context(), base_url=self.settings.base_url, follow_redirects=True, timeout=30
        ) as browser:
            browser.cookies.set(session_cookie.SESSION_COOKIE, cookie)
            authorize = await browser.post(
                "/api/zoom/authorize", headers={session_cookie.CSRF_HEADER: signed_in.csrf_token}
            )
            assert authorize.status_code == 200, authorize.text
            # The fake approves at once for `user` (a real professor would click "Allow").
            page = await browser.get(f"{authorize.json()['authorize_url']}&user={user}")
        assert page.status_code == 200, page.text
        return page.text

    async def session(self, session_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/sessions/{session_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def wait_rooms(
        self, session_id: str, predicate: Callable[[list[dict[str, Any]]], bool], within: float, what: str
    ) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            session = await self.session(session_id)
            if predicate(session["rooms"]):
                return session
            if time.monotonic() > deadline:
                states = [(r["name"], r["status"], r["reason"], r["reason_text"]) for r in session["rooms"]]
                raise AssertionError(
                    f"timed out after {within}s waiting for {what}; rooms: {states}\n{await self.explain(session)}"
                )
            await asyncio.sleep(0.25)

    async def explain(self, session: dict[str, Any]) -> str:
        """What each room's page believes (its status), the room's latest stored events (seconds after the
        session's first, and the node of each bot started) and the farm's latest warnings: printed when a wait
        times out, so that a failure says why a room did not move."""
        lines = []
        start = next((e.time for e in await self.repository.events.all(limit=1)), 0.0)
        for room in session["rooms"]:
            runner, page = self.farm._runners.get(room["id"]), None
            commands = runner.page if runner is not None else None
            if commands is not None:
                try:
                    page = await commands.browser.evaluate("() => window.avatarfarm.status()", within=5)
                except Exception as exc:  # a diagnosis: whatever the page says or raises is the answer
                    page = f"no answer: {exc!r}"[:300]
            events = await self.repository.events.recent(room_id=room["id"], limit=15)
            lines.append(f"{room['name']}: page {page}")
            lines += [f"    +{e.time - start:.1f}s {e.kind} {str(e.detail)[:200]}" for e in events]
        lines.append("the farm's latest warnings:")
        lines += [f"    {line}" for line in self.warnings]
        return "\n".join(lines)

    async def wait_all_live(self, session_id: str, within: float = 90) -> dict[str, Any]:
        return await self.wait_rooms(
            session_id, lambda rooms: all(r["status"] == "live" for r in rooms), within, "every room live"
        )

    async def vendor_active(self) -> list[str]:
        """Ids of the LiveAvatar sessions being billed right now (as the vendor lists them)."""
        client = LiveAvatarClient(self.liveavatar_url, LA_API_KEY, attempts=1)
        try:
            return [s.id for s in await client.active_sessions()]
        finally:
            await client.aclose()

    async def bots_in_meeting(self, number: str) -> list[dict[str, Any]]:
        roster = await self.zoom.roster(number)
        return [p for p in roster["participants"] if "(AI)" in p["name"]]


def farm_settings(data_dir: Path, zoom_url: str, liveavatar_url: str, api_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "api_token": TOKEN,
        "public_base_url": api_url,
        "zoom_api_base": zoom_url,
        "zoom_sdk_key": SDK_KEY,
        "zoom_sdk_secret": SDK_SECRET,
        "zoom_oauth_client_id": OAUTH_CLIENT_ID,
        "zoom_oauth_client_secret": OAUTH_CLIENT_SECRET,
        "liveavatar_api_base": liveavatar_url,
        "liveavatar_api_key": LA_API_KEY,
        "max_bots": 6,
        "avatar_quality": "low",
        # Most farm tests are about bots, not students: avatars start as soon as a bot is in its room.
        # tests/farm/test_room_lifecycle.py runs the default (on_human).
        "avatar_start": "on_join",
    }
    values.update(overrides)
    return load_settings(**values)


@contextlib.asynccontextmanager
async def liveavatar_server(**config: Any) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    app = create_liveavatar(FakeLiveAvatarConfig(api_key=LA_API_KEY, admin_token=LA_ADMIN, **config))
    async with serve_app(app) as server:
        async with httpx.AsyncClient(
            verify=shared_tls_context(),
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {LA_ADMIN}"},
            timeout=30,
        ) as admin:
            yield server.base_url, admin


@contextlib.asynccontextmanager
async def running_farm(
    tmp_path: Path,
    *,
    farm_options: dict[str, Any] | None = None,
    liveavatar_config: dict[str, Any] | None = None,
    **settings: Any,
) -> AsyncIterator[FarmStack]:
    with _kept_warnings() as kept:
        async with running_fake_zoom() as zoom, liveavatar_server(**(liveavatar_config or {})) as (la_url, la_admin):
            async with serve_farm_api(tmp_path, zoom.base_url, la_url, farm_options=farm_options, **settings) as (
                api,
                client,
                app_settings,
            ):
                yield FarmStack(zoom, la_url, la_admin, api, client, app_settings, kept.lines)


@contextlib.asynccontextmanager
async def serve_farm_api(
    tmp_path: Path, zoom_url: str, la_url: str, *, farm_options: dict[str, Any] | None = None, **settings: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, Settings]]:
    """The API server with the real Farm; its own URL is known before it starts (bots load pages from it)."""
    sock = bound_socket()
    api_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app_settings = farm_settings(tmp_path / "var", zoom_url, la_url, api_url, **settings)

    def make_farm(repository: Repository, s: Settings, tickets: BotTickets, zoom: ZoomClient | None) -> Farm:
        return Farm(repository, s, tickets, zoom=zoom, **(farm_options or {}))

    api = create_app(app_settings, farm_factory=make_farm)
    async with serve_app(api, sock=sock) as server:
        async with httpx.AsyncClient(
            verify=shared_tls_context(),
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        ) as client:
            yield api, client, app_settings
