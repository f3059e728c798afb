"""Professors see only their own things. The walk is generated from /openapi.json: every operation is called
as professor B against professor A's session, room, material, passage, token and account, and must answer
exactly as it does for ids that do not exist (or 403 where only the admin may act). Operations without an id in
their path are listed below by what they do; a new one fails here until it is listed (and so, checked)."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx

from api import events_routes
from api.principals import Principal
from farm.room.page_messages import MediaStats
from state.models import TranscriptRole
from tests.api.conftest import Api

JPEG = "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0a-thumbnail").decode()
NOTES = b"Recursion: a function that calls itself on a smaller input, until a base case answers directly.\n"

# Operations without an id in the path: lists must not show A's things, creations must not touch them.
LISTS = {
    ("get", "/api/sessions"),
    ("get", "/api/materials"),
    ("get", "/api/tokens"),
    ("get", "/api/me"),
    ("get", "/api/usage"),
    ("get", "/api/zoom/grant"),  # the caller's own Zoom connection
    ("get", "/api/webhooks"),
}
# ... and what makes or changes something of the caller's own.
CREATIONS = {
    ("post", "/api/sessions"),
    ("post", "/api/materials"),
    ("post", "/api/tokens"),
    ("put", "/api/me/profile"),
    ("post", "/api/webhooks"),
}
# ... and what acts on the caller's own Zoom connection (B has none: refused in words, A's untouched).
OWN_ZOOM = {("post", "/api/zoom/authorize"), ("delete", "/api/zoom/grant")}
STREAMS = {("get", "/api/events")}  # its ?session= is walked below; the unfiltered stream by its own test
VENDOR_CATALOG = re.compile(r"^/api/liveavatar/")  # LiveAvatar's avatars and voices: nobody's records
PROBES = {("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics")}


@dataclass
class Objects:
    professor_id: str
    token_id: str
    session_id: str
    room_id: str
    material_id: str
    passage_id: int
    receiver_id: str
    receiver_url: str

    def ids(self) -> dict[str, str]:
        return {
            "professor_id": self.professor_id,
            "token_id": self.token_id,
            "session_id": self.session_id,
            "room_id": self.room_id,
            "material_id": self.material_id,
            "passage_id": str(self.passage_id),
            "receiver_id": self.receiver_id,
        }


MISSING = {
    "professor_id": "prof_0123456789ab",
    "token_id": "tok_0123456789ab",
    "session_id": "ses_0123456789ab",
    "room_id": "room_0123456789ab",
    "material_id": "mat_0123456789ab",
    "passage_id": "987654321",
    "receiver_id": "whk_0123456789ab",
}


async def _professor(api: Api, name: str, email: str) -> tuple[dict[str, Any], httpx.AsyncClient]:
    created = await api.client.post("/api/professors", json={"name": name, "email": email})
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    client = httpx.AsyncClient(
        transport=api.client._transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {body['token']['token']}"},
    )
    return body, client


async def _objects_of(api: Api, client: httpx.AsyncClient, created: dict[str, Any]) -> Objects:
    session = await client.post(
        "/api/sessions",
        json={
            "meeting": {"number": "85746065432"},
            "professor": {"name": created["professor"]["name"], "avatar_id": "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"},
            "course": {"name": "CS 101"},
            "rooms": [{"name": "Room 1", "student": {"name": "Student 1"}}],
        },
        headers={"Idempotency-Key": "the-same-key"},
    )
    assert session.status_code == 202, session.text
    session_id, room_id = session.json()["id"], session.json()["rooms"][0]["id"]
    upload = await client.post("/api/materials", data={"course": "CS 101"}, files={"file": ("notes.txt", NOTES)})
    assert upload.status_code == 201, upload.text
    material_id = upload.json()["id"]
    passage_id = (await client.get(f"/api/materials/{material_id}")).json()["passage_list"][0]["id"]
    pinned = await client.put(f"/api/sessions/{session_id}/rooms/{room_id}/pins/{passage_id}")
    assert pinned.status_code == 204, pinned.text
    await api.repository.transcripts.add(room_id, speaker="Student 1", role=TranscriptRole.student, text="A secret")
    api.farm.media.record(room_id, MediaStats(humans_in_room=1), JPEG)
    url = f"https://hooks.example.edu/{created['professor']['id']}"
    receiver = await client.post("/api/webhooks", json={"url": url})
    assert receiver.status_code == 201, receiver.text
    return Objects(
        created["professor"]["id"],
        created["token"]["id"],
        session_id,
        room_id,
        material_id,
        passage_id,
        receiver.json()["id"],
        url,
    )


def _example(operation: dict[str, Any], schemas: dict[str, Any]) -> Any:
    content = operation.get("requestBody", {}).get("content", {})
    media = content.get("application/json")
    if media is None:
        return None
    if "example" in media:
        return media["example"]
    if "examples" in media:
        return next(iter(media["examples"].values()))["value"]
    schema = schemas[media["schema"]["$ref"].rsplit("/", 1)[-1]]
    return schema["examples"][0]


def _normalised(response: httpx.Response, ids: dict[str, str]) -> tuple[int, str]:
    text = response.text
    for name, value in ids.items():
        text = text.replace(value, f"<{name}>")
    return response.status_code, text


def _required_query(operation: dict[str, Any]) -> dict[str, str]:
    """A valid value for each required query parameter, from its schema."""
    values = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and parameter.get("required"):
            schema = parameter["schema"]
            values[parameter["name"]] = str(schema.get("minimum", 1)) if schema["type"] == "integer" else "recursion"
    return values


async def _call(
    client: httpx.AsyncClient, method: str, path: str, operation: dict[str, Any], ids: dict[str, str], body: Any
) -> httpx.Response:
    url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
    params = _required_query(operation) | ({"session": ids["session_id"]} if path == "/api/events" else {})
    return await client.request(method.upper(), url, json=body, params=params)


async def test_every_operation_answers_another_professor_as_if_the_thing_did_not_exist(api: Api) -> None:
    a_created, a = await _professor(api, "Prof. Ada", "ada@example.edu")
    b_created, b = await _professor(api, "Prof. Bea", "bea@example.edu")
    async with a, b:
        theirs = await _objects_of(api, a, a_created)
        mine = await _objects_of(api, b, b_created)  # B has things of the same names, and the same key
        spec = (await api.client.get("/openapi.json")).json()
        schemas = spec["components"]["schemas"]
        a_ids = {v for n, v in theirs.ids().items() if n != "passage_id"}  # a passage id is a small number
        await api.repository.zoom_grants.save(
            professor_id=theirs.professor_id,
            user_id="zoom-user-of-ada",
            email="ada@zoom.example.edu",
            refresh_token="r",
            access_token=None,
            access_expires_at=None,
        )
        a_ids |= {"zoom-user-of-ada", "ada@zoom.example.edu", theirs.receiver_url}
        walked = 0
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                key = (method, path)
                if VENDOR_CATALOG.match(path) or key in PROBES:
                    continue
                names = re.findall(r"\{(\w+)\}", path)
                body = _example(operation, schemas)
                if names or key in STREAMS:
                    unknown = set(names) - set(MISSING)
                    assert not unknown, f"{method.upper()} {path}: say here whose {unknown} is"
                    ids = {**mine.ids(), **{n: theirs.ids()[n] for n in names}}
                    gone = {**mine.ids(), **{n: MISSING[n] for n in names}}
                    if key in STREAMS:
                        ids["session_id"], gone["session_id"] = theirs.session_id, MISSING["session_id"]
                    answer = await _call(b, method, path, operation, ids, body)
                    missing = await _call(b, method, path, operation, gone, body)
                    if operation.get("x-admin-only"):
                        assert answer.status_code == 403, (key, answer.text)
                    else:
                        assert answer.status_code == 404, (key, answer.text)
                    shown = {n: ids[n] for n in names} | ({"session_id": ids["session_id"]} if key in STREAMS else {})
                    hidden = {n: gone[n] for n in shown}
                    assert _normalised(answer, shown) == _normalised(missing, hidden), key
                elif key in LISTS | CREATIONS:
                    if key == ("post", "/api/materials"):
                        answer = await b.post(
                            "/api/materials", data={"course": "CS 101"}, files={"file": ("notes.txt", NOTES)}
                        )
                    else:
                        answer = await b.request(method.upper(), path, json=body)
                    assert answer.status_code < 400, (key, answer.text)
                    assert not {i for i in a_ids if i in answer.text}, (key, answer.text)
                elif key in OWN_ZOOM:
                    answer = await b.request(method.upper(), path, json=body)
                    assert answer.status_code in (404, 409), (key, answer.text)
                    assert not {i for i in a_ids if i in answer.text}, (key, answer.text)
                elif operation.get("x-admin-only"):  # the professors
                    answer = await b.request(method.upper(), path, json=body)
                    assert answer.status_code == 403, (key, answer.text)
                else:
                    raise AssertionError(
                        f"{method.upper()} {path} is new: list it above by what it shows or does, so that "
                        "this test checks it"
                    )
                walked += 1
        assert walked >= 30, walked
        # Nothing of A's changed: the session goes on, the material and pin are there, the token works.
        still = await a.get(f"/api/sessions/{theirs.session_id}")
        assert still.status_code == 200 and still.json()["status"] == "active"
        pins = await a.get(f"/api/sessions/{theirs.session_id}/rooms/{theirs.room_id}/pins")
        assert [p["id"] for p in pins.json()["passages"]] == [theirs.passage_id]
        assert (await a.get(f"/api/materials/{theirs.material_id}")).status_code == 200
        assert (await a.get("/api/zoom/grant")).json()["email"] == "ada@zoom.example.edu"
        assert [r["id"] for r in (await a.get("/api/webhooks")).json()["receivers"]] == [theirs.receiver_id]
        # The admin sees both professors' sessions.
        listed = {s["id"] for s in (await api.client.get("/api/sessions")).json()["sessions"]}
        assert {theirs.session_id, mine.session_id} <= listed


async def test_a_professors_event_stream_carries_only_their_sessions(api: Api) -> None:
    a_created, a = await _professor(api, "Prof. Ada", "ada@example.edu")
    b_created, b = await _professor(api, "Prof. Bea", "bea@example.edu")
    async with a, b:
        theirs = await _objects_of(api, a, a_created)
        mine = await _objects_of(api, b, b_created)
    bea = Principal(b_created["professor"]["id"], is_admin=False, can_write=True, token_id=None)

    class Connected:
        async def is_disconnected(self) -> bool:
            return False

    stream = events_routes._follow(Connected(), api.repository, bea, None, 0)  # type: ignore[arg-type]
    first = await anext(stream)  # replayed from the log; what follows is live (or replayed again if it lags)
    seen: list[dict[str, Any]] = [json.loads(str(first.data))]
    await api.repository.events.append("room.command", room_id=theirs.room_id, detail={"command": "theirs"})
    marker = await api.repository.events.append("room.command", room_id=mine.room_id, detail={"command": "marker"})
    async for message in stream:
        seen.append(json.loads(str(message.data)))
        if message.id == str(marker.id):
            break
    await stream.aclose()
    assert seen and {e["session_id"] for e in seen} == {mine.session_id}
    assert theirs.session_id not in json.dumps(seen)


async def test_another_professors_passage_cannot_be_pinned_or_searched_in_ones_own_room(api: Api) -> None:
    a_created, a = await _professor(api, "Prof. Ada", "ada@example.edu")
    b_created, b = await _professor(api, "Prof. Bea", "bea@example.edu")
    async with a, b:
        theirs = await _objects_of(api, a, a_created)
        mine = await _objects_of(api, b, b_created)  # the same course name, "CS 101", and the same file
        room = f"/api/sessions/{mine.session_id}/rooms/{mine.room_id}"
        hidden = await b.put(f"{room}/pins/{theirs.passage_id}")
        missing = await b.put(f"{room}/pins/{MISSING['passage_id']}")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.text.replace(str(theirs.passage_id), "<id>") == missing.text.replace(
            MISSING["passage_id"], "<id>"
        )
        found = (await b.get(f"{room}/passages", params={"q": "recursion base case"})).json()["passages"]
        assert [p["id"] for p in found] == [mine.passage_id]
        assert mine.material_id != theirs.material_id  # the same file is each professor's own material


async def test_a_professor_learns_only_ready_or_not_from_the_readiness_probe(api: Api) -> None:
    node = SimpleNamespace(name="node-1", up=True, capacity=4, bots=1, problem=None)
    api.farm.node_status = lambda: [node]  # the deployment's browser nodes: the administrator's to see
    assert set((await api.client.get("/readyz")).json()) == {"status", "nodes"}
    _, b = await _professor(api, "Prof. Bea", "bea@example.edu")
    async with b:
        assert set((await b.get("/readyz")).json()) == {"status"}
