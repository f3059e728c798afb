"""A real class's shape, end to end on the fakes with the real farm: bots wait silent and avatar-less through the
lecture, an avatar starts only in a room with a student, pauses when the room is quiet and comes back with
the conversation so far, says goodbye when the host closes the rooms, and returns for a second round;
broadcasts are spoken, muted-on-entry is handled, and a host's mute is reported and never fought."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from state.reports import is_question
from tests.farm.harness import LA_API_KEY, FarmStack, running_farm
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.polling import until
from tests.support.students import students

pytestmark = pytest.mark.browser

LECTURE = "Today we study recursion. A recursive function calls itself on a smaller problem."
QUESTION = "what is a base case in recursion"
BOT_1 = "Prof. Ada (AI) · Room 1"
BOT_2 = "Prof. Ada (AI) · Room 2"
BROADCAST = "Two minutes left, please wrap up"


async def _from(stack: FarmStack, number: str, receiver: str, sender: str) -> dict[str, Any]:
    person = await stack.zoom.person(number, receiver)
    for stream in person.get("media", {}).get("receiving", []):
        if stream.get("name") == sender:
            return dict(stream)
    return {}


async def _room(stack: FarmStack, session_id: str, name: str) -> dict[str, Any]:
    session = await stack.session(session_id)
    room = next(r for r in session["rooms"] if r["name"] == name)
    detail = (await stack.client.get(f"/api/sessions/{session_id}/rooms/{room['id']}")).json()
    assert isinstance(detail, dict)
    return detail


async def _status(stack: FarmStack, session_id: str, name: str, status: str, within: float) -> None:
    await stack.wait_rooms(
        session_id, lambda rooms: any(r["name"] == name and r["status"] == status for r in rooms), within, status
    )


async def _muted(stack: FarmStack, number: str, name: str) -> bool:
    return bool((await stack.zoom.person(number, name))["muted"])


async def _transcript(stack: FarmStack, room_id: str) -> list[tuple[str, str, str]]:
    return [(line.role.value, line.speaker, line.text) for line in await stack.repository.transcripts.in_room(room_id)]


async def _context(stack: FarmStack, room_id: str) -> dict[str, Any]:
    room = await stack.repository.sessions.get_room(room_id)
    assert room is not None and room.avatar_context_id
    async with httpx.AsyncClient(
        timeout=CLIENT_TIMEOUT, base_url=stack.liveavatar_url, headers={"X-API-KEY": LA_API_KEY}
    ) as client:
        response = await client.get(f"/v1/contexts/{room.avatar_context_id}")
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_silent_through_the_lecture_then_an_avatar_only_where_a_student_is(tmp_path: Path) -> None:
    async with (
        running_farm(tmp_path, avatar_start="on_human") as stack,
        students(stack.zoom.base_url, tmp_path) as people,
    ):
        number = await stack.meeting(["Room 1", "Room 2"], open_rooms=False)
        await people.join(number, "Lecturer", says=LECTURE)
        created = await stack.start(number, ["Room 1", "Room 2"])
        sid = created["id"]
        await stack.wait_rooms(
            sid, lambda rooms: all(r["status"] == "in_main_session" for r in rooms), 90, "bots in the main session"
        )

        # The lecturer receives both bots' placeholder cards, and silence.
        async def lecturer_sees_both() -> bool:
            streams = [await _from(stack, number, "Lecturer", bot) for bot in (BOT_1, BOT_2)]
            return all(stream.get("videoFps") for stream in streams)

        await until(lecturer_sees_both, 30, "the lecturer to receive both bots' video")
        await asyncio.sleep(6)  # the lecture goes on
        for bot in (BOT_1, BOT_2):
            stream = await _from(stack, number, "Lecturer", bot)
            assert float(stream.get("audioPeak") or 0) < 0.005, (bot, stream)
            assert await _muted(stack, number, bot)
        assert await stack.vendor_active() == []
        for room in created["rooms"]:
            assert (await _room(stack, sid, room["name"]))["avatar_sessions"] == []
            assert await _transcript(stack, room["id"]) == []

        # Rooms open; one student goes to Room 1. Only Room 1's avatar starts.
        grace = await people.join(number, "Grace", room="Room 1", says=QUESTION)
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        await _status(stack, sid, "Room 1", "live", 90)
        await _status(stack, sid, "Room 2", "in_room", 30)
        assert len(await stack.vendor_active()) == 1
        assert (await _room(stack, sid, "Room 2"))["avatar_sessions"] == []

        async def grace_sees_and_hears() -> bool:
            stream = await _from(stack, number, "Grace", BOT_1)
            return (
                bool(stream.get("videoFps"))
                and bool(stream.get("videoChanging"))
                and not stream.get("videoBlack")
                and float(stream.get("audioPeak") or 0) > 0.02
            )

        await until(grace_sees_and_hears, 45, "Grace to see and hear the avatar")
        assert not await _muted(stack, number, BOT_1) and await _muted(stack, number, BOT_2)

        # Money: avatar minutes only in Room 1; Room 2's bot minutes saved what an eager avatar would cost.
        session = await stack.session(sid)
        room_2 = next(r for r in session["rooms"] if r["name"] == "Room 2")
        assert room_2["usage"]["credits"] == 0 and room_2["usage"]["meeting_minutes"] > 0
        assert room_2["usage"]["credits_saved"] > 0
        # The class's saving is the rooms' sum, net of Room 1's avatar: its first minute is billed whole, so
        # with the bots in the meeting for under a minute in all the class may not have saved anything yet.
        money = session["summary"]["money"]
        eager = sum(room["usage"]["eager_credits"] for room in session["rooms"])
        assert money["eager_credits"] == pytest.approx(eager, abs=0.01)
        assert money["credits_saved"] == pytest.approx(max(0.0, money["eager_credits"] - money["credits"]), abs=0.01)

        # Grace leaves: once the room has been empty for a short grace, the avatar is paused and billing stops.
        await grace.context.browser.close()  # type: ignore[union-attr]
        await _status(stack, sid, "Room 1", "idle", 60)
        room_1 = await _room(stack, sid, "Room 1")
        assert room_1["reason"] == "room_empty" and "last student left" in room_1["reason_text"]
        assert await stack.vendor_active() == []
        assert (await stack.zoom.person(number, BOT_1))["location"] == "breakout"  # it waits for the next one


async def test_a_quiet_room_pauses_the_avatar_and_speech_brings_it_back_with_the_conversation(tmp_path: Path) -> None:
    async with (
        running_farm(tmp_path, avatar_start="on_human", avatar_idle_minutes=0.1) as stack,
        students(stack.zoom.base_url, tmp_path) as people,
    ):
        number = await stack.meeting(["Room 1"], open_rooms=False)
        created = await stack.start(number, ["Room 1"])
        sid, room_id = created["id"], created["rooms"][0]["id"]
        await _status(stack, sid, "Room 1", "in_main_session", 90)
        grace = await people.join(number, "Grace", room="Room 1", says=QUESTION)
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        await _status(stack, sid, "Room 1", "live", 90)

        async def heard_grace() -> bool:
            return any(role == "student" for role, _, _ in await _transcript(stack, room_id))

        await until(heard_grace, 90, "a transcript line of Grace's question")
        [(_, speaker, _)] = [line for line in await _transcript(stack, room_id) if line[0] == "student"][:1]
        assert speaker == "Grace"

        # Grace goes quiet: after the idle time the avatar is stopped and billing stops.
        await stack.zoom.post(f"/fake/meetings/{number}/mute", name="Grace", mute=True)
        await _status(stack, sid, "Room 1", "idle", 60)
        room = await _room(stack, sid, "Room 1")
        assert room["reason"] == "idle" and "paused" in room["reason_text"]
        assert await stack.vendor_active() == []
        [paused] = room["avatar_sessions"]
        assert paused["status"] == "stopped" and paused["end_reason"] == "idle"
        credits = (await stack.session(sid))["summary"]["credits"]
        await asyncio.sleep(3)
        assert (await stack.session(sid))["summary"]["credits"] == credits
        assert (await stack.zoom.person(number, BOT_1))["location"] == "breakout"  # the bot stays in its room
        # Nothing more is said while paused: the report counts Grace's lines, and its questions agree with them.
        report = (await stack.client.get(f"/api/sessions/{sid}/report")).json()["rooms"][0]
        assert report["students"] == ["Grace"] and report["student_lines"] >= 1
        lines = [text for role, _, text in await _transcript(stack, room_id) if role == "student"]
        assert report["student_questions"] == sum(is_question(text) for text in lines)

        # She speaks again: a fresh avatar, whose context carries the conversation so far.
        await grace.get_by_role("button", name="Unmute").click()
        await _status(stack, sid, "Room 1", "live", 90)
        assert len((await _room(stack, sid, "Room 1"))["avatar_sessions"]) == 2
        context = await _context(stack, room_id)
        assert "conversation so far" in context["prompt"] and "Grace:" in context["prompt"]
        assert context["opening_text"].startswith("Welcome back, Grace!")
        assert len(await stack.vendor_active()) == 1


async def test_two_rounds_broadcast_goodbye_mute_on_entry_and_a_host_mute(tmp_path: Path) -> None:
    async with (
        running_farm(tmp_path, avatar_start="on_human") as stack,
        students(stack.zoom.base_url, tmp_path) as people,
    ):
        number = await stack.meeting(["Room 1"], open_rooms=False, mute_on_entry=True)
        created = await stack.start(number, ["Room 1"])
        sid, room_id = created["id"], created["rooms"][0]["id"]
        await _status(stack, sid, "Room 1", "in_main_session", 90)

        async def bot_audio_joined() -> bool:
            return bool((await stack.zoom.person(number, BOT_1))["audio"])

        await until(bot_audio_joined, 30, "the bot to join audio")
        assert await _muted(stack, number, BOT_1)  # muted on entry, and left so in the main session
        await people.join(number, "Grace", room="Room 1")

        for round_number in (1, 2):
            await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
            await _status(stack, sid, "Room 1", "live", 90)

            async def unmuted() -> bool:
                return not await _muted(stack, number, BOT_1)

            await until(unmuted, 20, f"the live bot to unmute itself (round {round_number})")

            if round_number == 1:
                # The host's broadcast is spoken by the live avatar and kept in the transcript.
                await stack.zoom.post(f"/fake/meetings/{number}/breakout/broadcast", message=BROADCAST)

                async def broadcast_spoken() -> bool:
                    lines = await _transcript(stack, room_id)
                    return ("professor", "Prof. Ada", BROADCAST) in lines and any(
                        role == "avatar" and "Your professor says" in text for role, _, text in lines
                    )

                await until(broadcast_spoken, 45, "the broadcast in the transcript, spoken by the avatar")

                # The host mutes the bot: reported in words, never fought.
                await stack.zoom.post(f"/fake/meetings/{number}/mute", name=BOT_1, mute=True)
                await stack.wait_rooms(
                    sid, lambda rooms: rooms[0]["reason"] == "muted_by_host", 20, "the room to report the host's mute"
                )
                assert "muted the bot" in (await stack.session(sid))["rooms"][0]["reason_text"]
                await asyncio.sleep(7)
                assert await _muted(stack, number, BOT_1)

            # The host closes the rooms: the avatar says goodbye within the countdown, stops, and the bot
            # goes back to the main session, muted.
            await stack.zoom.post(f"/fake/meetings/{number}/breakout/close", wait_seconds=12)

            async def goodbye_said() -> bool:
                return any(
                    role == "avatar" and "closing the breakout rooms" in text
                    for role, _, text in await _transcript(stack, room_id)
                )

            await until(goodbye_said, 30, f"the avatar's goodbye (round {round_number})")
            await _status(stack, sid, "Room 1", "in_main_session", 45)
            assert await stack.vendor_active() == []
            sessions = (await _room(stack, sid, "Room 1"))["avatar_sessions"]
            assert len(sessions) == round_number
            assert sessions[-1]["end_reason"] in ("rooms_closing", "left_room")

            async def muted_again() -> bool:
                return await _muted(stack, number, BOT_1)

            await until(muted_again, 15, "the bot muted back in the main session")

        bots = (await _room(stack, sid, "Room 1"))["bots"]
        assert len(bots) == 1  # one bot for the whole class: it never left the meeting
        ended = await stack.client.delete(f"/api/sessions/{sid}")
        assert ended.status_code == 202
        await _status(stack, sid, "Room 1", "ended", 30)
        assert await stack.vendor_active() == []
