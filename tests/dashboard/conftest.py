"""Fixtures of the dashboard tests: the API app with a ScriptedFarm, served by uvicorn on loopback behind a
StreamCutter; a headless Chromium; a page object. Sessions are created over REST with the bearer token.

One Chromium serves the whole run (each test gets its own browser context, so its own cookies): the tests
and these fixtures run on the session's event loop (`LOOP`, see `pytestmark` in each test module)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright

from api.app import create_app
from farm.settings import Settings
from farm.tls_context import shared_tls_context
from state.repository import Repository
from tests.api.conftest import TOKEN, make_settings, session_body
from tests.dashboard.farm import ScriptedFarm
from tests.dashboard.pages import Dashboard
from tests.dashboard.stream_cutter import StreamCutter
from tests.support.browsers import launch, launch_options
from tests.support.servers import serve_app


@dataclass
class DashboardServer:
    base_url: str
    app: FastAPI
    settings: Settings
    farm: ScriptedFarm
    cutter: StreamCutter
    client: httpx.AsyncClient
    token: str = TOKEN

    @property
    def repository(self) -> Repository:
        repository: Repository = self.app.state.repository
        return repository

    async def create_session(self, rooms: list[tuple[str, str]] | int = 2, **changes: Any) -> dict[str, Any]:
        """A session over REST; `rooms` is a count or (room name, student name) pairs."""
        if isinstance(rooms, int):
            body = session_body(rooms=rooms, **changes)
        else:
            body = session_body(rooms=0, **changes)
            body["rooms"] = [{"name": name, "student": {"name": student}} for name, student in rooms]
        response = await self.client.post("/api/sessions", json=body)
        assert response.status_code == 202, response.text
        created: dict[str, Any] = response.json()
        return created

    async def room_ids(self, session: dict[str, Any]) -> dict[str, str]:
        """Room name -> room id."""
        return {room["name"]: room["id"] for room in session["rooms"]}


LOOP: Final = "session"


@pytest_asyncio.fixture(loop_scope=LOOP)
async def server(tmp_path: Path) -> AsyncIterator[DashboardServer]:
    settings = make_settings(tmp_path)
    farms: list[ScriptedFarm] = []

    def factory(repository: Repository, *_: Any) -> ScriptedFarm:
        farms.append(ScriptedFarm(repository))
        return farms[-1]

    app = create_app(settings, farm_factory=factory)
    cutter = StreamCutter(app)
    async with serve_app(cutter) as running:
        async with httpx.AsyncClient(
            verify=shared_tls_context(),
            base_url=running.base_url,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        ) as client:
            yield DashboardServer(running.base_url, app, settings, farms[0], cutter, client)


@pytest_asyncio.fixture(scope="session", loop_scope=LOOP)
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await launch(playwright, **launch_options())
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(loop_scope=LOOP)
async def page(chromium: Browser) -> AsyncIterator[Page]:
    context = await chromium.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        await context.close()
    assert not errors, f"uncaught errors in the dashboard page: {errors}"


@pytest.fixture
def dashboard(page: Page, server: DashboardServer) -> Dashboard:
    return Dashboard(page, server.base_url)


@pytest_asyncio.fixture(loop_scope=LOOP)
async def signed_in(dashboard: Dashboard, server: DashboardServer) -> Dashboard:
    await dashboard.sign_in(server.token)
    return dashboard
