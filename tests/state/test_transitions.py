"""Room and bot statuses change only through the one transition table (state/transitions.py), enforced where
they are written: an illegal change raises IllegalTransition and writes nothing (no status, no event)."""

from __future__ import annotations

import pytest

from state.models import RoomStatus
from state.repository import Repository, RoomClosed
from state.transitions import BOT_TRANSITIONS, REOPENED, ROOM_TRANSITIONS, BotStatus, IllegalTransition
from tests.state.conftest import sample_session


async def _room(repo: Repository) -> str:
    session, _ = await repo.sessions.create(sample_session(rooms=1))
    return session.rooms[0].id


async def _status_events(repo: Repository, room_id: str) -> list[str]:
    events = await repo.events.all(room_id=room_id, limit=1000)
    return [e.detail["status"] for e in events if e.kind == "room.status"]


def test_the_table_says_where_every_status_may_go() -> None:
    assert set(ROOM_TRANSITIONS) == set(RoomStatus)
    assert set(BOT_TRANSITIONS) == set(BotStatus)
    for closed in (RoomStatus.ended, RoomStatus.failed):
        assert ROOM_TRANSITIONS[closed] == {RoomStatus.ended, RoomStatus.failed}
    assert all(s in ROOM_TRANSITIONS[s] or s is RoomStatus.starting for s in RoomStatus)


async def test_a_room_with_no_bot_cannot_be_made_to_look_live(repo: Repository) -> None:
    room_id = await _room(repo)  # queued
    before = await _status_events(repo, room_id)
    for status in (RoomStatus.live, RoomStatus.in_room, RoomStatus.leaving):
        with pytest.raises(IllegalTransition, match=f"from queued to {status.value}"):
            await repo.sessions.set_room_status(room_id, status)
    room = await repo.sessions.get_room(room_id)
    assert room is not None and room.status is RoomStatus.queued
    assert await _status_events(repo, room_id) == before


async def test_a_bot_s_life_passes_and_a_leaving_room_only_closes(repo: Repository) -> None:
    room_id = await _room(repo)
    before = await _status_events(repo, room_id)
    path = [
        RoomStatus.starting,
        RoomStatus.joining,
        RoomStatus.in_main_session,
        RoomStatus.joining_breakout,
        RoomStatus.in_room,
        RoomStatus.avatar_connecting,
        RoomStatus.live,
        RoomStatus.idle,
        RoomStatus.live,
        RoomStatus.in_main_session,  # the host closed the rooms
        RoomStatus.leaving,
    ]
    for status in path:
        await repo.sessions.set_room_status(room_id, status)
    with pytest.raises(IllegalTransition):
        await repo.sessions.set_room_status(room_id, RoomStatus.live)
    await repo.sessions.set_room_status(room_id, RoomStatus.recovering, reason="server_restart")
    with pytest.raises(IllegalTransition):
        await repo.sessions.set_room_status(room_id, RoomStatus.in_room)  # no bot yet: it must start first
    await repo.sessions.set_room_status(room_id, RoomStatus.ended, reason="left")
    assert await _status_events(repo, room_id) == [*before, *(s.value for s in path), "recovering", "ended"]


async def test_a_closed_room_reopens_only_through_a_restart_and_only_to_wait_or_start(repo: Repository) -> None:
    room_id = await _room(repo)
    await repo.sessions.set_room_status(room_id, RoomStatus.failed, reason="crashed")
    with pytest.raises(RoomClosed):
        await repo.sessions.set_room_status(room_id, RoomStatus.recovering)
    with pytest.raises(IllegalTransition):
        await repo.sessions.set_room_status(room_id, RoomStatus.live, reopen=True)
    assert RoomStatus.recovering in REOPENED
    await repo.sessions.set_room_status(room_id, RoomStatus.recovering, reason="restart_requested", reopen=True)
    room = await repo.sessions.get_room(room_id)
    assert room is not None and room.status is RoomStatus.recovering


async def test_a_bot_ends_only_as_ended_stopped_or_lost_and_once(repo: Repository) -> None:
    room_id = await _room(repo)
    bot = await repo.bots.start(room_id, node="local")
    assert bot.status == BotStatus.starting
    for wrong in ("starting", "live", "gone"):
        with pytest.raises(IllegalTransition):
            await repo.bots.finish(bot.id, status=wrong, end_reason="x")
    [row] = await repo.bots.in_room(room_id)
    assert row.status == "starting" and row.ended_at is None
    ended = await repo.bots.finish(bot.id, status="stopped", end_reason="crashed")
    again = await repo.bots.finish(bot.id, status="lost", end_reason="later")
    assert (ended.status, again.status, again.end_reason) == ("stopped", "stopped", "crashed")
