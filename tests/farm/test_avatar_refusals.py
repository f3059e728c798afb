"""A LiveAvatar refusal (a 4xx) is final: the token is asked for once, no new bot is launched, and the room fails
at once with a sentence a professor understands, never the vendor's raw answer. Scripted browsers (no Chromium)
and the fake LiveAvatar."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from farm.vendors.liveavatar_client import LiveAvatarClient, LiveAvatarRefusal
from state.models import RoomStatus
from tests.farm.harness import AVATAR_ADA, LA_API_KEY, liveavatar_server
from tests.support.scripted_pages import MakeRig, Rig, go_live, scripted_rigs

UNKNOWN_AVATAR = "0b8f1c2e-5a52-4f43-a0a4-6e6f1c2d9b99"
UNKNOWN_VOICE = "1c2d9b99-0b8f-4f43-a0a4-6e6f5a521c2e"


@pytest.fixture
async def refusal_rig(tmp_path: Path) -> AsyncIterator[MakeRig]:
    # Retries as the farm has them: a refusal must not use them.
    async with scripted_rigs(tmp_path, attempts=4, max_wait=0.2) as make:
        yield make


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
    await go_live(bot)
    _, reason, text = await rig.wait_status(RoomStatus.failed, within=30)
    assert (reason, text) == ("avatar_refused", words)
    # Asked once, never retried; no second bot; nothing billed or left open.
    assert len(await _token_calls(rig)) == 1
    await asyncio.sleep(0.5)
    assert len(rig.node.bots) == 1
    assert bot.tokens == []
    [row] = await rig.repository.avatars.in_room(rig.room_id)
    assert row.status.value == "failed" and row.vendor_session_id is None
    for event in await rig.repository.events.recent(room_id=rig.room_id, limit=200):
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
