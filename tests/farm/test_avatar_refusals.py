"""A LiveAvatar refusal (a 4xx) is final: the token is asked for once, no new bot is launched, and the room fails
at once with a sentence a professor understands, never the vendor's raw answer. Scripted browsers (no Chromium)
and the fake LiveAvatar."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from farm.browsers.capacity import Capacity
from farm.room.bot_tickets import BotTickets
from farm.room.live_media import LiveMediaStore
from farm.room.room_runner import RoomRunner
from farm.room.services import FarmServices
from farm.vendors.liveavatar_client import LiveAvatarClient, LiveAvatarRefusal
from state.database import Database
from state.models import Course, Meeting, NewRoom, NewSession, Professor, RoomStatus, Student
from state.repository import Repository
from tests.farm.harness import AVATAR_ADA, LA_API_KEY, farm_settings, liveavatar_server
from tests.farm.test_room_runner import Rig, ScriptedNode, _go_live

UNKNOWN_AVATAR = "0b8f1c2e-5a52-4f43-a0a4-6e6f1c2d9b99"
UNKNOWN_VOICE = "1c2d9b99-0b8f-4f43-a0a4-6e6f5a521c2e"


@pytest.fixture
async def refusal_rig(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    db = await Database.open(tmp_path / "runner.sqlite3")
    repository = Repository(db)
    rigs: list[Rig] = []
    async with liveavatar_server() as (la_url, admin):
        # Retries as the farm has them: a refusal must not use them.
        client = LiveAvatarClient(la_url, LA_API_KEY, attempts=4, max_wait=0.2)

        async def make(avatar_id: str, voice_id: str | None = None) -> Rig:
            settings = farm_settings(tmp_path / "var", "http://127.0.0.1:9", la_url, "http://127.0.0.1:9")
            node = ScriptedNode()
            services = FarmServices(
                repository=repository,
                settings=settings,
                node=node,  # type: ignore[arg-type]
                liveavatar=client,
                zoom=None,
                tickets=BotTickets(),
                media=LiveMediaStore(),
                capacity=Capacity(2),
                launching=asyncio.Semaphore(2),
            )
            session, _ = await repository.create_session(
                NewSession(
                    meeting=Meeting(number="85746065432", passcode="pw"),
                    professor=Professor(name="Prof. Ada", avatar_id=avatar_id, voice_id=voice_id),
                    course=Course(name="CS 101"),
                    rooms=(NewRoom("Room 1", Student("Grace")),),
                )
            )
            room = session.rooms[0]
            runner = RoomRunner(services, session, room, on_done=lambda _: None)
            rig = Rig(services, node, repository, room.id, runner, admin)
            rigs.append(rig)
            runner.start()
            return rig

        yield make
        for rig in rigs:
            await rig.runner.cancel()
        await client.aclose()
    await db.close()


async def _token_calls(rig: Rig) -> list[dict[str, Any]]:
    response = await rig.admin.get("/admin/calls", params={"path": "/v1/sessions/token"})
    assert response.status_code == 200, response.text
    calls: list[dict[str, Any]] = response.json()["data"]
    return calls


@pytest.mark.parametrize(
    ("avatar_id", "voice_id", "words"),
    [
        (
            UNKNOWN_AVATAR,
            None,
            "LiveAvatar does not know the avatar 0b8f1c2e…; pick one of your account's avatars.",
        ),
        (
            # Not even a uuid: LiveAvatar answers 422 with a validation dump; the words stay the same.
            "prof-ada-clone",
            None,
            "LiveAvatar does not know the avatar prof-ada…; pick one of your account's avatars.",
        ),
        (
            AVATAR_ADA,
            UNKNOWN_VOICE,
            "LiveAvatar does not know the voice 1c2d9b99…; pick one of your account's voices "
            "(or leave the voice empty to use the avatar's own).",
        ),
    ],
    ids=["unknown_avatar", "malformed_avatar_id", "unknown_voice"],
)
async def test_a_refused_avatar_fails_the_room_at_once_in_words(
    refusal_rig: Callable[..., Any], avatar_id: str, voice_id: str | None, words: str
) -> None:
    rig: Rig = await refusal_rig(avatar_id, voice_id)
    bot = await rig.node.next_bot(1)
    await _go_live(bot)
    _, reason, text = await rig.wait_status(RoomStatus.failed, within=30)
    assert (reason, text) == ("avatar_refused", words)
    # Asked once, never retried; no second bot; nothing billed or left open.
    assert len(await _token_calls(rig)) == 1
    await asyncio.sleep(0.5)
    assert len(rig.node.bots) == 1
    assert bot.tokens == []
    [row] = await rig.repository.avatar_sessions(rig.room_id)
    assert row.status.value == "failed" and row.vendor_session_id is None
    for event in await rig.repository.recent_events(room_id=rig.room_id, limit=200):
        assert "uuid_parsing" not in str(event.detail) and "'loc'" not in str(event.detail)


async def test_the_client_raises_a_typed_refusal_naming_the_field() -> None:
    async with liveavatar_server() as (la_url, admin):
        client = LiveAvatarClient(la_url, LA_API_KEY, attempts=4, max_wait=0.2)
        try:
            with pytest.raises(LiveAvatarRefusal) as raised:
                await client.session_token(avatar_id="9f0a6c3d-2b7e-4d1a-b5c8-1e4f7a9d0c66", context_id=None)
            assert (raised.value.kind, raised.value.field, raised.value.status) == (
                "avatar_not_ready",
                "avatar_id",
                400,
            )
            assert not raised.value.retryable
            assert "not ready" in raised.value.words
            calls = (await admin.get("/admin/calls", params={"path": "/v1/sessions/token"})).json()["data"]
            assert len(calls) == 1
        finally:
            await client.aclose()
