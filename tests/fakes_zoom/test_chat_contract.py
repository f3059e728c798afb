"""Chat in the SDK stand-in, held to @zoom/meetingsdk: the `chat-on-message` payload has the members the typings
give (ChatRecord | ChatMessage) and exactly the shape the served bundle's public handler builds; a message to
everyone has the bundle's receiver (`All` = 0, "Everyone"); `sendChat` refuses in the bundle's words. In
Chromium: a message reaches its sender's conference only (main session or one breakout room)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from fakes.zoom import chat
from fakes.zoom.participants import Participant
from tests.fakes_zoom.app_page import AppPage
from tests.fakes_zoom.component_view_bundle import chat_event_shape, chat_rules
from tests.fakes_zoom.dts import Member, event_payload_types, interface_members
from tests.fakes_zoom.harness import FakeZoom
from tests.support.servers import RunningServer

CLIENT_JS = Path(__file__).resolve().parents[2] / "fakes/zoom/static/sdk/client.js"
ADAPTER_JS = Path(__file__).resolve().parents[2] / "bot_page/js/meeting/zoom.js"


def _payload(to: Participant | None = None) -> dict[str, Any]:
    return chat.chat_payload(Participant(user_id=16778240, name="Ana"), to, "stop")


def _shape(value: Any) -> Any:
    return {k: _shape(v) for k, v in value.items()} if isinstance(value, dict) else None


def test_the_payload_is_the_shape_the_served_bundle_hands_a_listener() -> None:
    assert _shape(_payload()) == chat_event_shape()
    assert _shape(_payload(Participant(user_id=16778241, name="Prof. Ada (AI) · Room 1"))) == chat_event_shape()


def _check(value: dict[str, Any], declared: dict[str, Member], where: str) -> None:
    for name, member in declared.items():
        if not member.optional:
            assert name in value, f"{where}{name} is required by the typings"
    for name, item in value.items():
        assert name in declared, f"{where}{name} is not in the typings"
        nested = declared[name].members
        if nested is not None:
            _check(item, nested, f"{where}{name}.")


def test_the_payload_is_typed_by_the_typings() -> None:
    assert set(event_payload_types("chat-on-message")) == {"ChatRecord", "ChatMessage"}
    record = interface_members("ChatRecord")
    message = interface_members("ChatMessage")
    payload = _payload()
    # It is a ChatRecord (file included), and without `file` the ChatMessage that sendChat resolves to.
    _check(payload, record, "ChatRecord.")
    _check({k: v for k, v in payload.items() if k != "file"}, message, "ChatMessage.")
    assert isinstance(payload["sender"]["userId"], int) and isinstance(payload["timestamp"], int)
    assert isinstance(payload["message"], str)


def test_receivers_and_refusals_are_the_bundles() -> None:
    rules = chat_rules()
    assert (rules.everyone_id, rules.everyone_name) == (chat.EVERYONE, chat.EVERYONE_NAME)
    assert _payload()["receiver"] == {"name": rules.everyone_name, "userId": rules.everyone_id}
    assert rules.default_receiver == chat.EVERYONE
    # The adapter tells a message to everyone from one to the bot by the same receiver id.
    adapter = re.search(r"const CHAT_EVERYONE = (\d+);", ADAPTER_JS.read_text())
    assert adapter is not None and int(adapter.group(1)) == rules.everyone_id
    block = CLIENT_JS.read_text()
    words = block[block.index("const CHAT_WORDS") : block.index("});", block.index("const CHAT_WORDS"))]
    assert tuple(re.findall(r"'([^']+)'", words)) == rules.refusals


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_a_message_reaches_its_senders_conference_only(
    chromium: Browser, app_origin: RunningServer, module_zoom: FakeZoom, meeting_number: str
) -> None:
    zoom = module_zoom
    await zoom.create_meeting(number=meeting_number, breakout_rooms=["Room 1", "Room 2"])
    app = await AppPage.open(chromium, app_origin, zoom)
    try:
        refused = await app.call("sendChat", "hello")
        assert refused["error"]["message"] == "You dont have the privilege" and refused["error"]["isError"]
        assert (await app.join(meeting_number, "Bot"))["ok"] is True
        me = (await app.value("getCurrentUser"))["userId"]
        await zoom.add_virtual(meeting_number, name="Host", host=True)
        ana = await zoom.add_virtual(meeting_number, name="Ana (AI)")
        ben = await zoom.add_virtual(meeting_number, name="Ben")
        await zoom.post(f"/fake/meetings/{meeting_number}/breakout/assign", name="Bot", room="Room 1")
        await zoom.post(f"/fake/meetings/{meeting_number}/breakout/open")
        await app.wait_for(lambda: _status_is(app, "invited"))
        assert await app.value("joinBreakoutRoom", (await app.value("getCurrentBreakoutRoom"))["roomId"]) == ""
        await zoom.post(f"/fake/meetings/{meeting_number}/breakout/move", user_id=ana, room="Room 1")
        await zoom.post(f"/fake/meetings/{meeting_number}/breakout/move", user_id=ben, room="Room 2")

        # Ben writes in Room 2, the host in the main session: neither reaches Room 1.
        await zoom.post(f"/fake/meetings/{meeting_number}/chat", user_id=ben, message="stop")
        await zoom.post(f"/fake/meetings/{meeting_number}/chat", name="Host", message="five minutes left")
        sent = await zoom.post(f"/fake/meetings/{meeting_number}/chat", user_id=ana, message="please stop")
        [received] = await app.wait_for(lambda: _chats(app))
        assert received == {**sent, "file": {"name": "", "type": ""}}
        assert received["sender"] == {"name": "Ana (AI)", "userId": ana}
        assert received["receiver"] == {"name": "Everyone", "userId": 0}

        # The bot answers Ana privately: sendChat resolves the ChatMessage, and the sender gets its own message.
        answer = await app.value("sendChat", "Understood.", ana)
        assert answer["receiver"] == {"name": "Ana (AI)", "userId": ana} and answer["sender"]["userId"] == me
        assert answer["message"] == "Understood." and "file" not in answer
        mine = await app.wait_for(lambda: _chats(app, 2))
        assert mine[-1] == {**answer, "file": {"name": "", "type": ""}}
        log = await zoom.admin.get(f"/fake/meetings/{meeting_number}/chat")
        assert [m["message"] for m in log.json()] == ["stop", "five minutes left", "please stop", "Understood."]

        assert (await app.call("sendChat", ""))["error"]["message"] == "Invalid chat message"
        assert (await app.call("sendChat", "x", -1))["error"]["message"] == "Invalid userId"
        elsewhere = await app.call("sendChat", "hi Ben", ben)
        assert elsewhere["error"]["reason"] == "no matching user"
    finally:
        await app.close()


async def _chats(app: AppPage, count: int = 1) -> list[dict[str, Any]] | None:
    received: list[dict[str, Any]] = await app.events("chat-on-message")
    return received if len(received) >= count else None


async def _status_is(app: AppPage, status: str) -> bool:
    return bool(await app.value("getUserStatus") == status)
