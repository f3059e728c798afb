"""A student's choice in a real bot page on the fakes, through the real farm: "stop" written in the Zoom chat
stops that room's avatar (billing too) exactly as "stop" said out loud does, and the API says so; a message that
merely mentions stopping does not; the bot answers the student in the chat. And bots are known by Zoom's
identity, not by name: a student called "Ana (AI)" is a student, while two bots in one room never count each
other as people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.farm.harness import FarmStack, running_farm
from tests.support.polling import until
from tests.support.students import students

pytestmark = pytest.mark.browser

BOT_1 = "Prof. Ada (AI) · Room 1"
BOT_2 = "Prof. Ada (AI) · Room 2"


def _room(rooms: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(r for r in rooms if r["name"] == name)


async def _wait_room(stack: FarmStack, sid: str, name: str, status: str, reason: str | None = None) -> dict[str, Any]:
    def reached(rooms: list[dict[str, Any]]) -> bool:
        room = _room(rooms, name)
        return room["status"] == status and (reason is None or room["reason"] == reason)

    session = await stack.wait_rooms(sid, reached, 90, f"{name} {status} ({reason})")
    return await _details(stack, sid, _room(session["rooms"], name)["id"])


async def _details(stack: FarmStack, sid: str, room_id: str) -> dict[str, Any]:
    """The room as GET /api/sessions/{id}/rooms/{room} shows it (its avatar sessions included)."""
    response = await stack.client.get(f"/api/sessions/{sid}/rooms/{room_id}")
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


async def _declines(stack: FarmStack, room_id: str) -> list[dict[str, Any]]:
    events = await stack.repository.events.recent(room_id=room_id)
    return [e.detail for e in events if e.kind == "room.student_declined"]


async def test_stop_written_in_the_chat_stops_that_rooms_avatar(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack, students(stack.zoom.base_url, tmp_path) as people:
        number = await stack.meeting(["Room 1", "Room 2"])
        created = await stack.start(number, ["Room 1", "Room 2"])
        sid = created["id"]
        await stack.wait_all_live(sid)
        ids = {r["name"]: r["id"] for r in created["rooms"]}
        # Ana without a browser (the fake's host control writes for her); Ben in Zoom's own client.
        ana = await stack.zoom.add_virtual(number, name="Ana")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/move", user_id=ana, room="Room 1")
        ben = await people.join(number, "Ben", room="Room 2")

        async def ben_in_room_2() -> bool:
            # Ben's client may still be joining: not on the roster yet is not a failure.
            roster = (await stack.zoom.roster(number))["participants"]
            person = next((p for p in roster if p["name"] == "Ben"), None)
            return person is not None and person["location"] == "breakout" and person["room"]["name"] == "Room 2"

        await until(ben_in_room_2, 60, "Ben in Room 2")

        # In Room 1, a question that mentions stopping, then a request in one word.
        chat = f"/fake/meetings/{number}/chat"
        await stack.zoom.post(chat, user_id=ana, message="When does the recursion stop?")
        await stack.zoom.post(chat, user_id=ana, message="stop")
        room_1 = await _wait_room(stack, sid, "Room 1", "idle", "student_declined")
        assert "asked not to talk with the AI tutor" in room_1["reason_text"]
        assert [s["status"] for s in room_1["avatar_sessions"]] == ["stopped"]
        assert await _declines(stack, ids["Room 1"]) == [
            {"words": room_1["reason_text"], "source": "chat"},
        ]

        # The bot answered Ana privately, once (the question was no request).
        async def answers() -> list[dict[str, Any]]:
            log = (await stack.zoom.admin.get(chat)).json()
            return [m for m in log if m["sender"]["name"] == BOT_1]

        [ack] = await until(answers, 30, "the bot's answer in the chat")
        assert ack["receiver"] == {"name": "Ana", "userId": ana} and "stopped" in ack["message"]

        # Room 2 still talks with Ben; then Ben says it in other words.
        assert _room((await stack.session(sid))["rooms"], "Room 2")["status"] == "live"
        await ben.get_by_role("textbox", name="Message to everyone in your room").fill(
            "I don't want to talk to an AI, thanks"
        )
        await ben.get_by_role("button", name="Send").click()
        await _wait_room(stack, sid, "Room 2", "idle", "student_declined")
        # Ben reads the bot's answer in his chat box.
        await ben.get_by_text(f"{BOT_2} to Ben: Understood").wait_for(timeout=30_000)
        assert [d["source"] for d in await _declines(stack, ids["Room 2"])] == ["chat"]
        assert await stack.vendor_active() == []


async def test_a_student_named_like_a_bot_is_a_student_and_bots_are_never_people(tmp_path: Path) -> None:
    async with running_farm(tmp_path, avatar_start="on_human") as stack:
        number = await stack.meeting(["Room 1", "Room 2"])
        created = await stack.start(number, ["Room 1", "Room 2"])
        sid = created["id"]
        await _wait_room(stack, sid, "Room 1", "in_room")
        await _wait_room(stack, sid, "Room 2", "in_room")

        # "Ana (AI)" is a student: the avatar starts for her and keeps talking with her.
        ana = await stack.zoom.add_virtual(number, name="Ana (AI)")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/move", user_id=ana, room="Room 1")
        await _wait_room(stack, sid, "Room 1", "live")
        room_1_id = _room(created["rooms"], "Room 1")["id"]
        requested = [
            e.detail for e in await stack.repository.events.recent(room_id=room_1_id) if e.kind == "avatar.requested"
        ]
        # The page asked for an avatar for her, a person in the room.
        assert [(d["why"], d["humans"]) for d in requested if "why" in d] == [("human_arrived", ["Ana (AI)"])]

        # She leaves and the host moves the Room 2 bot into Room 1: the two bots are no people to each other.
        # Room 1's avatar is let go as for an empty room, and the moved bot asks for none.
        await stack.zoom.admin.delete(f"/fake/meetings/{number}/participants/{ana}")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/move", name=BOT_2, room="Room 1")
        room_1 = await _wait_room(stack, sid, "Room 1", "idle", "room_empty")
        assert [s["status"] for s in room_1["avatar_sessions"]] == ["stopped"]
        room_2 = await _details(stack, sid, _room(created["rooms"], "Room 2")["id"])
        assert room_2["avatar_sessions"] == [] and room_2["status"] == "in_room"
        assert (await stack.zoom.person(number, BOT_2))["room"]["name"] == "Room 1"
        assert await stack.vendor_active() == []
