"""GET /api/events over a real server: delivery, filtering, resume with Last-Event-ID, and no loss on lag."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api import events_routes
from api.app import create_app
from api.principals import BOOTSTRAP_ADMIN
from state import event_bus
from tests.api.conftest import TOKEN, RecordingFarm, make_settings, session_body
from tests.support.servers import serve_app
from tests.support.sse import read_sse, take

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, Any]]:
    app = create_app(make_settings(tmp_path), farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with serve_app(app) as running:
        yield running.base_url, app


async def _post_session(client: httpx.AsyncClient, rooms: int = 2) -> dict[str, Any]:
    response = await client.post("/api/sessions", json=session_body(rooms=rooms))
    assert response.status_code == 202
    created: dict[str, Any] = response.json()
    return created


async def test_new_events_arrive_in_order_with_ids(server: tuple[str, Any]) -> None:
    base_url, _ = server
    async with httpx.AsyncClient(base_url=base_url, headers=AUTH, timeout=10) as client:
        async with client.stream("GET", "/api/events") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            messages = read_sse(stream)
            session = await _post_session(client, rooms=2)
            got = await asyncio.wait_for(take(messages, 3), 10)
    assert [m.event for m in got] == ["session.created", "room.status", "room.status"]
    ids = [int(m.id or 0) for m in got]
    assert ids == sorted(ids) and len(set(ids)) == 3
    first = got[0].json()
    assert first["session_id"] == session["id"] and first["kind"] == "session.created"
    assert got[1].json()["detail"]["status"] == "queued"


async def test_filtered_by_session(server: tuple[str, Any]) -> None:
    base_url, _ = server
    async with httpx.AsyncClient(base_url=base_url, headers=AUTH, timeout=10) as client:
        mine = await _post_session(client, rooms=1)
        async with client.stream("GET", "/api/events", params={"session": mine["id"]}) as stream:
            messages = read_sse(stream)
            await _post_session(client, rooms=3)  # someone else's session
            await client.delete(f"/api/sessions/{mine['id']}")
            got = await asyncio.wait_for(take(messages, 3), 10)
    assert {m.json()["session_id"] for m in got} == {mine["id"]}
    assert [m.event for m in got] == ["session.ending", "room.status", "session.ended"]


async def test_resume_after_reconnect_loses_and_repeats_nothing(server: tuple[str, Any]) -> None:
    base_url, _ = server
    async with httpx.AsyncClient(base_url=base_url, headers=AUTH, timeout=10) as client:
        async with client.stream("GET", "/api/events") as stream:
            messages = read_sse(stream)
            await _post_session(client, rooms=1)
            before = await asyncio.wait_for(take(messages, 2), 10)
        last_id = before[-1].id
        assert last_id is not None
        # While disconnected, more happens.
        missed = await _post_session(client, rooms=2)
        async with client.stream("GET", "/api/events", headers={"Last-Event-ID": last_id}) as stream:
            messages = read_sse(stream)
            replayed = await asyncio.wait_for(take(messages, 3), 10)
            await client.delete(f"/api/sessions/{missed['id']}")
            live = await asyncio.wait_for(take(messages, 1), 10)
    ids = [int(m.id or 0) for m in before + replayed + live]
    assert ids == list(range(ids[0], ids[0] + len(ids)))
    assert [m.event for m in replayed] == ["session.created", "room.status", "room.status"]
    assert replayed[0].json()["session_id"] == missed["id"]
    assert live[0].event == "session.ending"


async def test_since_zero_replays_everything(server: tuple[str, Any]) -> None:
    base_url, _ = server
    async with httpx.AsyncClient(base_url=base_url, headers=AUTH, timeout=10) as client:
        await _post_session(client, rooms=2)
        async with client.stream("GET", "/api/events", params={"since": "0"}) as stream:
            got = await asyncio.wait_for(take(read_sse(stream), 3), 10)
    assert [int(m.id or 0) for m in got] == [1, 2, 3]


async def test_bad_requests(server: tuple[str, Any]) -> None:
    base_url, _ = server
    async with httpx.AsyncClient(base_url=base_url, headers=AUTH, timeout=10) as client:
        assert (await client.get("/api/events", params={"session": "ses_nope"})).status_code == 404
        bad = await client.get("/api/events", headers={"Last-Event-ID": "abc"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "Last-Event-ID"
        # Digits that are not ASCII, or too many of them, are a clear 422 too, never a server error.
        for odd in ("²", "١٢", "9" * 40):
            refused = await client.get("/api/events", params={"since": odd})
            assert refused.status_code == 422, (odd, refused.text)
            assert refused.json()["detail"][0]["field"] == "since"
        assert (await client.get("/api/events", headers={"Authorization": "Bearer nope"})).status_code == 401


class _ConnectedRequest:
    async def is_disconnected(self) -> bool:
        return False


async def test_a_slow_listener_falls_back_to_the_log_without_gaps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_bus, "DEFAULT_QUEUE_SIZE", 3)
    monkeypatch.setattr(events_routes, "REPLAY_BATCH", 4)
    app = create_app(make_settings(tmp_path), farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with app.router.lifespan_context(app):
        repository = app.state.repository
        stream = events_routes._follow(_ConnectedRequest(), repository, BOOTSTRAP_ADMIN, None, 0)  # type: ignore[arg-type]
        await repository.events.append("note", detail={"n": -1})
        first = await asyncio.wait_for(anext(stream), 5)
        # The listener does not read while 30 events happen: its bus queue (3) overflows.
        for n in range(30):
            await repository.events.append("note", detail={"n": n})
        rest = [await asyncio.wait_for(anext(stream), 5) for _ in range(30)]
        await stream.aclose()
    ids = [int(first.id or 0)] + [int(m.id or 0) for m in rest]
    assert ids == list(range(ids[0], ids[0] + 31))
