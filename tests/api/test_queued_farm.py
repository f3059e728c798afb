"""With no browser farm (QueuedFarm), rooms stay queued, commands are refused, ending is immediate."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, FarmChoice, session_body
from tests.support.queued_farm import QueuedFarm


@pytest.fixture
def farm_choice() -> FarmChoice:
    return lambda repository: QueuedFarm(repository)


async def test_rooms_stay_queued_commands_are_refused_and_ending_is_immediate(api: Api) -> None:
    created = (await api.client.post("/api/sessions", json=session_body(rooms=2))).json()
    room = created["rooms"][0]
    fetched = (await api.client.get(f"/api/sessions/{created['id']}")).json()
    assert {r["status"] for r in fetched["rooms"]} == {"queued"}
    say = await api.client.post(f"/api/sessions/{created['id']}/rooms/{room['id']}/say", json={"text": "hi"})
    assert say.status_code == 409
    assert "no live avatar yet" in say.json()["message"]
    restart = await api.client.post(f"/api/sessions/{created['id']}/rooms/{room['id']}/restart")
    assert restart.status_code == 202
    kinds = [e.kind for e in await api.repository.events.recent(room_id=room["id"])]
    assert kinds[-2:] == ["room.restart_skipped", "room.command"]
    ended = (await api.client.delete(f"/api/sessions/{created['id']}")).json()
    assert ended["status"] == "ended"
    assert {r["status"] for r in ended["rooms"]} == {"ended"}
