"""The LiveAvatar contexts a session created (its students' names, the professor's notes, excerpts of what was
said) are deleted at LiveAvatar when the session ends; one left behind is deleted by the reaper. Real farm,
real bot browser, the fakes of Zoom and LiveAvatar."""

from __future__ import annotations

from pathlib import Path

import pytest

from farm.vendors.liveavatar_client import LiveAvatarClient
from farm.vendors.vendor_http import VendorError
from tests.farm.harness import LA_API_KEY, running_farm
from tests.support.polling import until

pytestmark = pytest.mark.browser


async def _exists(client: LiveAvatarClient, context_id: str) -> bool:
    try:
        await client._call("GET", f"/v1/contexts/{context_id}")
    except VendorError as exc:
        if exc.status == 404:
            return False
        raise
    return True


async def test_a_sessions_contexts_are_deleted_when_it_ends_and_stragglers_by_the_reaper(tmp_path: Path) -> None:
    async with running_farm(tmp_path) as stack:
        client = LiveAvatarClient(stack.liveavatar_url, LA_API_KEY, attempts=1)
        try:
            number = await stack.meeting(["Room 1"])
            created = await stack.start(number, ["Room 1"])
            await stack.wait_all_live(created["id"])
            room_id = created["rooms"][0]["id"]
            room = await stack.repository.sessions.get_room(room_id)
            assert room is not None and room.avatar_context_id
            context_id = room.avatar_context_id
            assert await _exists(client, context_id)

            ended = await stack.client.delete(f"/api/sessions/{created['id']}")
            assert ended.status_code == 202

            # The farm deletes the context at LiveAvatar first and forgets it after, so both are awaited.
            async def deleted_and_forgotten() -> bool:
                room = await stack.repository.sessions.get_room(room_id)
                assert room is not None
                return room.avatar_context_id is None and not await _exists(client, context_id)

            await until(deleted_and_forgotten, 30, "the session's LiveAvatar context deleted and forgotten")

            # A context left behind (LiveAvatar could not be reached at the end): the reaper deletes it.
            straggler = await client.create_context(name="left over", prompt="Grace's notes", opening_text="Hi")
            await stack.repository.sessions.set_avatar_context(room_id, straggler)
            await stack.farm.reap()
            assert not await _exists(client, straggler)
            room = await stack.repository.sessions.get_room(room_id)
            assert room is not None and room.avatar_context_id is None
        finally:
            await client.aclose()
