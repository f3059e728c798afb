"""Bad input: 422 naming the field with words a professor understands, and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, session_body


def _with(path: str, value: Any, rooms: int = 2) -> dict[str, Any]:
    """session_body with one value replaced (path like 'rooms.1.name'); value ... deletes the key."""
    body = session_body(rooms=rooms)
    node: Any = body
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last: Any = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return body


CASES = [
    ("meeting.number", "12345", "meeting.number", "9 to 11 digits"),
    ("meeting.number", "857460654321", "meeting.number", "9 to 11 digits"),
    ("meeting.number", "85746O65432", "meeting.number", "9 to 11 digits"),
    ("meeting.passcode", "x" * 11, "meeting.passcode", "at most 10 characters"),
    ("meeting", {"create": True}, "meeting", "needs a topic"),
    ("meeting", {"create": True, "topic": "T", "number": "85746065432"}, "meeting", "not both"),
    ("meeting", {}, "meeting", "meeting number"),
    ("meeting", {"number": "85746065432", "topic": "T"}, "meeting", "only used when creating"),
    ("professor.name", ..., "professor.name", "required"),
    ("professor.name", "   ", "professor.name", "must not be empty"),
    ("professor.avatar_id", "<script>", "professor.avatar_id", "letters, digits"),
    ("professor.teaching_style", "x" * 2001, "professor.teaching_style", "at most 2000 characters"),
    ("professor.nickname", "Ada", "professor.nickname", "unknown field 'nickname'"),
    ("course", ..., "course", "required"),
    ("course.name", "", "course.name", "must not be empty"),
    ("rooms", [], "rooms", "at least 1 room"),
    ("rooms", "Room 1", "rooms", "must be a list"),
    ("rooms.1.name", "room 1", "rooms", "'room 1' appears more than once"),
    ("rooms.0.student", ..., "rooms[0].student", "required"),
    ("rooms.1.student.name", "", "rooms[1].student.name", "must not be empty"),
    ("rooms.0.student.age", 19, "rooms[0].student.age", "unknown field 'age'"),
    ("extra", True, "extra", "unknown field 'extra'"),
]


@pytest.mark.parametrize(("path", "value", "field", "words"), CASES, ids=[f"{c[0]}={c[1]!r}"[:60] for c in CASES])
async def test_each_rule_names_the_field(api: Api, path: str, value: Any, field: str, words: str) -> None:
    before = await api.row_counts()
    response = await api.client.post("/api/sessions", json=_with(path, value))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    fields = [item["field"] for item in body["detail"]]
    assert field in fields, body
    message = next(item["message"] for item in body["detail"] if item["field"] == field)
    assert words.lower() in message.lower(), message
    assert "Traceback" not in response.text
    assert await api.row_counts() == before
    assert "start_session" not in api.farm.names()


async def test_more_rooms_than_max_bots(api: Api) -> None:
    before = await api.row_counts()
    response = await api.client.post("/api/sessions", json=session_body(rooms=api.settings.max_bots + 1))
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "field": "rooms",
            "message": f"rooms: This farm can run at most {api.settings.max_bots} rooms at once "
            f"(AVATARFARM_MAX_BOTS); you asked for {api.settings.max_bots + 1}.",
        }
    ]
    assert await api.row_counts() == before
    ok = await api.client.post("/api/sessions", json=session_body(rooms=api.settings.max_bots))
    assert ok.status_code == 202, ok.text


async def test_a_body_that_is_not_json(api: Api) -> None:
    response = await api.client.post(
        "/api/sessions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["message"]


async def test_no_body(api: Api) -> None:
    response = await api.client.post("/api/sessions")
    assert response.status_code == 422
    assert response.json()["message"] == "The request needs a JSON body."


async def test_several_problems_are_all_listed(api: Api) -> None:
    body = _with("meeting.number", "1")
    body["rooms"] = []
    response = await api.client.post("/api/sessions", json=body)
    fields = {item["field"] for item in response.json()["detail"]}
    assert {"meeting.number", "rooms"} <= fields
    assert "(and 1 more problem)" in response.json()["message"]


async def test_idempotency_key_too_long(api: Api) -> None:
    response = await api.client.post("/api/sessions", json=session_body(), headers={"Idempotency-Key": "k" * 201})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "idempotency-key"
