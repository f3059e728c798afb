"""The page and Zoom's identities: it reports its own (meeting.identity), counts as people everyone but itself,
Zoom-attributed bots and the bots the farm names (knowBots), whatever their names; it forwards chat written in
its breakout room by a person there, to everyone or to it (meeting.chat), and nothing else; it writes in the
chat when told (sendChat)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.bot_page.harness import running_stack

pytestmark = pytest.mark.browser

BOT = "Prof. Ada (AI) · Room 1"


async def test_people_bots_and_chat_by_zoom_identity(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        number = await stack.meeting(breakout_options={"isAutoJoinRoom": True})
        bot = await stack.launch_bot(number)
        await bot.wait_state("in_main_session")
        [identity] = bot.events("meeting.identity")
        me = await stack.zoom.person(number, BOT)
        assert identity["user_id"] == me["user_id"] and identity["participant_uuid"]
        assert identity["is_bot_user"] is False

        ana = await stack.zoom.add_virtual(number, name="Ana (AI)")
        other_bot = await stack.zoom.add_virtual(number, name="Tutor")  # a bot of the farm, whatever its name
        carl = await stack.zoom.add_virtual(number, name="Carl")
        ben = await stack.zoom.add_virtual(number, name="Ben")
        await bot.call(
            "(command) => window.avatarfarm.knowBots(command)",
            {
                "user_ids": [identity["user_id"], other_bot],
                "participant_uuids": [],
            },
        )
        for name in (BOT, "Ana (AI)", "Tutor", "Carl"):
            await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name=name, room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name="Ben", room="Room 2")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        await bot.wait_state("live", within=60)
        status: dict[str, Any] = await bot.call("() => window.avatarfarm.status()")
        assert sorted(status["humans"]) == ["Ana (AI)", "Carl"]

        chat = f"/fake/meetings/{number}/chat"
        await stack.zoom.post(chat, user_id=other_bot, message="stop")  # another bot: never a student's word
        await stack.zoom.post(chat, user_id=ben, message="stop")  # Room 2: never reaches Room 1
        await stack.zoom.post(chat, user_id=ana, message="stop", to_user_id=carl)  # private to Carl
        await stack.zoom.post(chat, user_id=carl, message="what is a base case?")
        await stack.zoom.post(chat, user_id=ana, message="please stop", to_user_id=me["user_id"])
        await bot.wait_event("meeting.chat", lambda d: d["message"] == "please stop")
        assert bot.events("meeting.chat") == [
            {"message": "what is a base case?", "sender": "Carl", "sender_id": carl, "to_bot": False, "room": "Room 1"},
            {"message": "please stop", "sender": "Ana (AI)", "sender_id": ana, "to_bot": True, "room": "Room 1"},
        ]

        # The farm's answer goes to Ana alone; the page does not hear its own message as a student's.
        sent = await bot.call(
            "(command) => window.avatarfarm.sendChat(command)", {"text": "Understood.", "to_user_id": ana}
        )
        assert sent == {"sent": True}
        log = (await stack.zoom.admin.get(chat)).json()
        assert log[-1]["sender"]["name"] == BOT and log[-1]["receiver"] == {"name": "Ana (AI)", "userId": ana}
        # (Carl writes once more: everything the page reported before it has arrived.)
        await stack.zoom.post(chat, user_id=carl, message="thanks")
        await bot.wait_event("meeting.chat", lambda d: d["message"] == "thanks")
        assert [e["message"] for e in bot.events("meeting.chat")] == ["what is a base case?", "please stop", "thanks"]
