"""What a bot prepares in its breakout room before a student comes, so that a student's wait for the avatar does
not include it: the avatar SDK is loaded. Nothing is minted, started or billed for that."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.farm.harness import running_farm
from tests.support.polling import until

pytestmark = pytest.mark.browser

SDK_FILE = "/@heygen/liveavatar-web-sdk/dist/index.esm.js"
SDK_LOADED = f"() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('{SDK_FILE}'))"


async def test_the_avatar_sdk_is_loaded_in_the_room_before_anyone_asks_and_nothing_is_billed(tmp_path: Path) -> None:
    async with running_farm(tmp_path, avatar_start="on_human") as stack:
        number = await stack.meeting(["Room 1"])
        created = await stack.start(number, ["Room 1"])
        sid, room_id = created["id"], created["rooms"][0]["id"]
        await stack.wait_rooms(sid, lambda rooms: rooms[0]["status"] == "in_room", 90, "the bot in its room")
        runner = stack.farm._runners[room_id]
        assert runner.browser is not None
        browser = runner.browser

        async def sdk_loaded() -> bool:
            return bool(await browser.evaluate(SDK_LOADED))

        await until(sdk_loaded, 30, "the avatar SDK loaded by the waiting bot's page")
        # Still waiting for a student: no session token minted, no session started, nothing recorded or billed.
        assert (await stack.session(sid))["rooms"][0]["status"] == "in_room"
        calls = (await stack.la_admin.get("/admin/calls")).json()["data"]
        minted_or_started = [c for c in calls if c["method"] == "POST" and c["path"].startswith("/v1/sessions")]
        assert minted_or_started == []  # (the reaper's GET /v1/sessions lists; it creates nothing)
        assert await stack.vendor_active() == []
        detail = (await stack.client.get(f"/api/sessions/{sid}/rooms/{room_id}")).json()
        assert detail["avatar_sessions"] == []
