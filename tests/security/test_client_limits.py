"""One client cannot hold the server: event streams and open requests per client address are bounded (429 in
words), and a slot is free again once its stream is closed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from api.bot_page_routes import ASSETS_PATH
from tests.api.conftest import TOKEN, RecordingFarm, make_settings
from tests.support.polling import until
from tests.support.servers import serve_app

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextlib.asynccontextmanager
async def _client(tmp_path: Path, **limits: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(tmp_path, **limits), farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with serve_app(app) as running, httpx.AsyncClient(base_url=running.base_url, headers=AUTH, timeout=10) as c:
        yield c


async def test_event_streams_per_client_are_bounded_and_freed_on_close(tmp_path: Path) -> None:
    async with _client(tmp_path, max_streams_per_client=2) as client:
        async with contextlib.AsyncExitStack() as streams:
            for _ in range(2):
                opened = await streams.enter_async_context(client.stream("GET", "/api/events"))
                assert opened.status_code == 200
            third = await client.get("/api/events")
            assert third.status_code == 429
            assert third.json()["error"] == "too_many_streams"
            assert "close one" in third.json()["message"]
            assert int(third.headers["retry-after"]) > 0
            assert (await client.get("/api/sessions")).status_code == 200  # other requests still pass

        async def a_stream_opens() -> bool:
            async with client.stream("GET", "/api/events") as again:
                return again.status_code == 200

        await until(a_stream_opens, 10, "the closed streams' slots to come back")


async def test_open_requests_per_client_are_bounded(tmp_path: Path) -> None:
    async with _client(tmp_path, max_requests_per_client=3) as client:
        async with contextlib.AsyncExitStack() as streams:
            for _ in range(3):
                opened = await streams.enter_async_context(client.stream("GET", "/api/events"))
                assert opened.status_code == 200
            refused = await client.get("/api/sessions")
            assert refused.status_code == 429
            assert refused.json()["error"] == "too_many_requests"
            assert "wait for them to finish" in refused.json()["message"]
            # The bot page's files are not counted: every local bot loads them from the same loopback address.
            assert (await client.get(f"{ASSETS_PATH}/js/vocabulary.js")).status_code == 200
            assert (await client.get("/healthz")).status_code == 200
