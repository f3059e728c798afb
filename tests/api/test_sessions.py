"""Sessions: create, list, read, end, idempotency; the farm is told, and nothing secret comes back."""

from __future__ import annotations

import asyncio

from farm.errors import FarmError
from state.professors_repository import ADMIN_ID
from tests.api.conftest import Api, session_body


async def test_create_returns_202_with_queued_rooms_and_tells_the_farm(api: Api) -> None:
    response = await api.client.post("/api/sessions", json=session_body(rooms=3))
    assert response.status_code == 202
    session = response.json()
    assert response.headers["location"] == f"/api/sessions/{session['id']}"
    assert session["status"] == "active"
    assert [room["name"] for room in session["rooms"]] == ["Room 1", "Room 2", "Room 3"]
    assert {room["status"] for room in session["rooms"]} == {"queued"}
    assert all(room["id"].startswith("room_") for room in session["rooms"])
    assert session["summary"] == {
        "rooms_total": 3,
        "rooms_live": 0,
        "rooms_failed": 0,
        "avatars_live": 0,
        "minutes": 0.0,
        "credits": 0.0,
        "budget_left": None,
        "money": {"minutes": 0.0, "credits": 0.0, "meeting_minutes": 0.0, "eager_credits": 0.0, "credits_saved": 0.0},
    }
    assert ("start_session", (session["id"],)) in api.farm.calls


async def test_meeting_number_is_normalised_and_the_passcode_never_returned(api: Api) -> None:
    body = session_body(meeting={"number": "857 4606-5432", "passcode": "s3cret-pw"})
    response = await api.client.post("/api/sessions", json=body)
    assert response.status_code == 202
    assert response.json()["meeting"] == {
        "number": "85746065432",
        "topic": None,
        "create": False,
        "passcode_set": True,
    }
    listing = await api.client.get("/api/sessions")
    assert "s3cret-pw" not in listing.text
    assert "s3cret-pw" not in (await api.client.get(f"/api/sessions/{response.json()['id']}")).text


async def test_a_meeting_to_create_is_accepted(api: Api) -> None:
    await api.app.state.repository.zoom_grants.save(
        professor_id=ADMIN_ID, user_id="u1", email=None, refresh_token="r", access_token=None, access_expires_at=None
    )
    body = session_body(meeting={"create": True, "topic": "Office hours"})
    response = await api.client.post("/api/sessions", json=body)
    assert response.status_code == 202
    assert response.json()["meeting"] == {
        "number": None,
        "topic": "Office hours",
        "create": True,
        "passcode_set": False,
    }


async def test_a_meeting_to_create_needs_the_professors_own_zoom(api: Api) -> None:
    body = session_body(meeting={"create": True, "topic": "Office hours"})
    response = await api.client.post("/api/sessions", json=body)
    assert response.status_code == 409, response.text
    error = response.json()
    assert error["error"] == "zoom_not_connected" and error["detail"][0]["field"] == "meeting"
    assert "you have not connected it yet" in error["message"] and "dashboard's Zoom page" in error["message"]
    assert (await api.client.get("/api/sessions")).json()["sessions"] == []  # nothing stored


async def test_list_and_get(api: Api) -> None:
    first = await api.create_session(rooms=1)
    second = await api.create_session(rooms=2)
    listing = (await api.client.get("/api/sessions")).json()["sessions"]
    assert [s["id"] for s in listing] == [second["id"], first["id"]]
    assert (await api.client.get("/api/sessions", params={"limit": 1})).json()["sessions"][0]["id"] == second["id"]
    got = await api.client.get(f"/api/sessions/{first['id']}")
    assert got.status_code == 200 and got.json() == first | {"rooms": got.json()["rooms"]}
    assert (await api.client.get("/api/sessions", params={"status": "ended"})).json()["sessions"] == []


async def test_unknown_ids_are_404(api: Api) -> None:
    for path in ("/api/sessions/ses_nope", "/api/sessions/ses_nope/rooms/room_nope"):
        response = await api.client.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert "ses_nope" in response.json()["message"] or "room_nope" in response.json()["message"]
    session = await api.create_session(rooms=1)
    response = await api.client.get(f"/api/sessions/{session['id']}/rooms/room_nope")
    assert response.status_code == 404
    assert (await api.client.delete("/api/sessions/ses_nope")).status_code == 404


async def test_end_session_tells_the_farm_and_refuses_twice(api: Api) -> None:
    session = await api.create_session(rooms=2)
    response = await api.client.delete(f"/api/sessions/{session['id']}")
    assert response.status_code == 202
    ended = response.json()
    assert ended["status"] == "ended"
    assert ended["end_reason"] == "ended by the professor"
    assert {room["status"] for room in ended["rooms"]} == {"ended"}
    assert ("end_session", (session["id"],)) in api.farm.calls
    again = await api.client.delete(f"/api/sessions/{session['id']}")
    assert again.status_code == 409
    assert again.json()["message"] == "This session has already ended."


async def test_ending_is_reported_while_bots_leave(api: Api) -> None:
    api.farm.end_immediately = False
    session = await api.create_session(rooms=1)
    response = await api.client.delete(f"/api/sessions/{session['id']}")
    assert response.json()["status"] == "ending"
    again = await api.client.delete(f"/api/sessions/{session['id']}")
    assert again.status_code == 409 and "already ending" in again.json()["message"]


async def test_idempotency_key_replays_the_first_session(api: Api) -> None:
    headers = {"Idempotency-Key": "class-2026-11-24"}
    first = await api.client.post("/api/sessions", json=session_body(), headers=headers)
    counts = await api.row_counts()
    second = await api.client.post("/api/sessions", json=session_body(), headers=headers)
    assert first.status_code == second.status_code == 202
    assert second.json()["id"] == first.json()["id"]
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await api.row_counts() == counts
    assert api.farm.names().count("start_session") == 1


async def test_idempotency_key_with_another_body_is_refused(api: Api) -> None:
    headers = {"Idempotency-Key": "class-2026-11-24"}
    await api.client.post("/api/sessions", json=session_body(rooms=1), headers=headers)
    counts = await api.row_counts()
    response = await api.client.post("/api/sessions", json=session_body(rooms=2), headers=headers)
    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_key_reused"
    assert await api.row_counts() == counts


async def test_without_a_key_each_post_is_a_new_session(api: Api) -> None:
    a = await api.create_session()
    b = await api.create_session()
    assert a["id"] != b["id"]


async def test_a_farm_refusal_on_start_keeps_the_session_and_says_so(api: Api) -> None:
    api.farm.fail_with = FarmError("No browser node is reachable.")
    response = await api.client.post("/api/sessions", json=session_body())
    assert response.status_code == 202
    events = await api.repository.events.all(session_id=response.json()["id"])
    assert events[-1].kind == "session.start_failed"
    assert events[-1].detail == {"reason": "No browser node is reachable."}


async def test_concurrent_retries_with_one_key_make_one_session(api: Api) -> None:
    headers = {"Idempotency-Key": "double-click"}
    responses = await asyncio.gather(
        *(api.client.post("/api/sessions", json=session_body(), headers=headers) for _ in range(5))
    )
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in responses) == 1
    assert (await api.row_counts())["sessions"] == 1
