"""The SDK stand-in in Chromium, loaded cross-origin by a crossOriginIsolated page: join, refusals, waiting room,
breakout rooms, closing reasons, and the toolbar's device calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser

from tests.fakes_zoom.app_page import AppPage
from tests.fakes_zoom.harness import PROFESSOR, FakeZoom, meeting_jwt
from tests.support.servers import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(loop_scope="session")
async def app(chromium: Browser, app_origin: RunningServer, module_zoom: FakeZoom) -> AsyncIterator[AppPage]:
    page = await AppPage.open(chromium, app_origin, module_zoom)
    yield page
    await page.close()


async def test_join_from_a_cross_origin_isolated_page(app: AppPage, module_zoom: FakeZoom, meeting_number: str) -> None:
    await module_zoom.create_meeting(number=meeting_number, topic="Ethics 101", passcode="pw")
    assert await app.page.evaluate("crossOriginIsolated") is True
    assert await app.page.evaluate("ZoomMtgEmbedded === ReactWidgets && ZoomMtgEmbedded.VERSION") == "6.2.0"
    assert await app.page.evaluate("ZoomMtgEmbedded.createClient() === client") is True
    assert await app.value("getCurrentUser") is None
    assert await app.value("getAttendeeslist") == []
    result = await app.join(meeting_number, "Avatar", password="pw", userEmail="avatar@x.test")
    assert result == {"ok": True, "value": ""}
    states = await app.connection_states()
    assert states == [{"state": "Connected"}]
    added = await app.events("user-added")
    assert [[p["userName"] for p in batch] for batch in added] == [["Avatar"]]
    me = await app.value("getCurrentUser")
    assert me["userName"] == "Avatar" and me["isHold"] is False and me["isHost"] is False
    info = await app.value("getCurrentMeetingInfo")
    assert info["meetingNumber"] == int(meeting_number)
    assert info["meetingTopic"] == "Ethics 101"
    assert info["isInMeeting"] is True and info["userName"] == ""  # deprecated in 6.0.0: always ""
    assert await app.value("getBreakoutRoomStatus") == 1
    assert await app.value("getUserStatus") == "initial"
    roster = await module_zoom.roster(meeting_number)
    assert [(p["name"], p["email"]) for p in roster["participants"]] == [("Avatar", "avatar@x.test")]
    # A second participant shows up as user-added.
    await module_zoom.add_virtual(meeting_number, name="Professor", host=True)
    await app.wait_for(lambda: _names_added(app, "Professor"))
    assert {p["userName"] for p in await app.value("getAttendeeslist")} == {"Avatar", "Professor"}
    again = await app.join(meeting_number, "Avatar")
    assert again["error"]["reason"] == "Duplicated join operation"
    assert await app.value("leaveMeeting") == ""
    await app.wait_connection("Closed", "user request")
    assert await app.value("getCurrentUser") is None
    failed = await app.call("joinBreakoutRoom", "x")
    assert failed["error"] == {
        "type": "IMPROPER_MEETING_STATE",
        "reason": "closed",
        "errorCode": 5002,
        "message": None,
        "isError": False,
    }
    assert [e for e in await app.events() if e["name"] == "no-such-event"] == []


async def _names_added(app: AppPage, name: str) -> bool:
    return any(name in [p["userName"] for p in batch] for batch in await app.events("user-added"))


async def test_join_refusals_reach_the_page(app: AppPage, module_zoom: FakeZoom, meeting_number: str) -> None:
    await module_zoom.create_meeting(number=meeting_number, passcode="pw", block_bots=True)

    def fail(code: int, reason: str) -> dict[str, Any]:
        return {
            "ok": False,
            "error": {
                "type": "JOIN_MEETING_FAILED",
                "reason": reason,
                "errorCode": code,
                "message": None,
                "isError": False,
            },
        }

    cases = [
        ({"signature": meeting_jwt(meeting_number, secret="y" * 40)}, fail(3712, "Signature is invalid.")),
        ({"signature": meeting_jwt(meeting_number, lifetime=60, iat=0)}, fail(3705, "The signature has expired.")),
        ({"signature": meeting_jwt("85999999999")}, fail(3706, "The meeting number is wrong.")),
        ({"password": "nope"}, fail(3004, "Meeting Passcode wrong.")),
        (
            {"password": "pw"},
            fail(
                200,
                "We detected you may be a bot. Automated bots aren't allowed to join this meeting or webinar "
                "and must use Zoom RTMS.",
            ),
        ),
    ]
    for options, expected in cases:
        assert await app.join(meeting_number, "Avatar", **options) == expected
    fails = [e for e in await app.connection_states() if e["state"] == "Fail"]
    assert [(e["errorCode"], e["reason"]) for e in fails] == [
        (c[1]["error"]["errorCode"], c[1]["error"]["reason"]) for c in cases
    ]
    other = "85999999998"
    assert await app.join(other, "Avatar", signature=meeting_jwt(other)) == fail(3610, "Meeting does not exist.")

    # Client-side validation: a plain Error, and no connection-change.
    before = len(await app.connection_states())
    no_app_key = await app.join(meeting_number, "Avatar", signature=meeting_jwt(meeting_number, key=None))
    assert no_app_key["error"]["isError"] is True
    assert no_app_key["error"]["message"] == "appKey can not empty in the signature"
    both = await app.join(meeting_number, "Avatar", zak="z", obfToken="o")
    assert both["error"]["message"] == "zak and obfToken are mutually exclusive. Please provide only one."
    assert (await app.join(meeting_number, ""))["error"]["message"] == "userName cannot be empty"
    assert len(await app.connection_states()) == before

    # After refusals the same client can still join.
    await module_zoom.admin.patch(f"/fake/meetings/{meeting_number}", json={"block_bots": False})
    assert (await app.join(meeting_number, "Avatar", password="pw"))["ok"] is True


async def test_obf_bot_is_closed_when_its_master_leaves(
    app: AppPage, module_zoom: FakeZoom, meeting_number: str
) -> None:
    await module_zoom.create_meeting(number=meeting_number, external_account=True)
    obf = await module_zoom.user_token(PROFESSOR)
    missing = await app.join(meeting_number, "Avatar")
    assert missing["error"]["errorCode"] == 4013 and missing["error"]["reason"] == "no obfToken"
    absent = await app.join(meeting_number, "Avatar", obfToken=obf)
    assert absent["error"]["errorCode"] == 4017 and absent["error"]["reason"] == "authorized user not in meeting"
    professor = await module_zoom.add_virtual(meeting_number, name="Prof. Ada", host=True, zoom_user_id=PROFESSOR)
    assert (await app.join(meeting_number, "Avatar", obfToken=obf))["ok"] is True
    assert await app.value("isBotUser") is True
    assert await app.value("getBotAppName") == "avatarfarm"
    me = await app.value("getCurrentUser")
    prof = await app.value("getBotAuthorizedUserInfoByUserId", me["userId"])
    assert prof["userName"] == "Prof. Ada"
    await module_zoom.admin.delete(f"/fake/meetings/{meeting_number}/participants/{professor}")
    closed = await app.wait_connection("Closed")
    assert closed == {"state": "Closed", "reason": "bot user kicked due to master leaving"}


async def test_waiting_room_admit_send_back_and_kick(app: AppPage, module_zoom: FakeZoom, meeting_number: str) -> None:
    await module_zoom.create_meeting(number=meeting_number, waiting_room=True, breakout_rooms=["Room 1"])
    await module_zoom.add_virtual(meeting_number, name="Professor", host=True)
    assert (await app.join(meeting_number, "Avatar"))["ok"] is True
    me = await app.value("getCurrentUser")
    assert me["isHold"] is True and me["bHold"] is True
    refused = await app.call("joinBreakoutRoom", "x")
    assert refused["error"]["type"] == "IMPROPER_MEETING_STATE" and refused["error"]["reason"] == "on hold"
    assert (await app.call("mute", True))["error"]["reason"] == "on hold"
    # No media in the waiting room.
    assert await app.page.get_by_role("button", name="Audio", exact=True).count() == 0
    await module_zoom.post(f"/fake/meetings/{meeting_number}/admit", name="Avatar")
    await app.wait_connection("Connected", count=2)
    assert (await app.value("getCurrentUser"))["isHold"] is False
    assert await app.page.get_by_role("button", name="Audio", exact=True).is_visible()
    await module_zoom.post(f"/fake/meetings/{meeting_number}/hold", name="Avatar")
    await app.wait_connection("Reconnecting", "on hold", count=2)
    await app.wait_for(lambda: _is_hold(app))
    await module_zoom.post(f"/fake/meetings/{meeting_number}/kick", name="Avatar")
    assert await app.wait_connection("Closed") == {"state": "Closed", "reason": "kicked by host"}


async def _is_hold(app: AppPage) -> bool:
    me = await app.value("getCurrentUser")
    return bool(me and me["isHold"])


async def test_breakout_invitation_and_return(app: AppPage, module_zoom: FakeZoom, meeting_number: str) -> None:
    await module_zoom.create_meeting(number=meeting_number, breakout_rooms=["Room 1", "Room 2"])
    assert (await app.join(meeting_number, "Avatar - Room 2"))["ok"] is True
    rooms = await app.value("getBreakoutRoomList")
    assert [r["name"] for r in rooms] == ["Room 1", "Room 2"]
    room2 = rooms[1]["roomId"]
    not_started = await app.call("joinBreakoutRoom", room2)
    assert not_started["error"]["reason"] == "Breakout room is not started"
    await module_zoom.post(f"/fake/meetings/{meeting_number}/breakout/assign", name="Avatar - Room 2", room="Room 2")
    await module_zoom.post(f"/fake/meetings/{meeting_number}/breakout/open")
    await app.wait_for(lambda: _status_is(app, "invited"))
    assert (await app.events("room-state-change"))[0] == {"status": 2}
    current = await app.value("getCurrentBreakoutRoom")
    assert current == {"attendeeStatus": "invited", "name": "Room 2", "roomId": room2}
    assert await app.value("joinBreakoutRoom", current["roomId"]) == ""
    assert await app.value("getUserStatus") == "in room"
    assert await app.wait_connection("Reconnecting", "join breakout room") == {
        "state": "Reconnecting",
        "reason": "join breakout room",
        "roomName": "Room 2",
    }
    assert (await app.value("getCurrentUser"))["bid"] == room2
    await module_zoom.post(f"/fake/meetings/{meeting_number}/breakout/close", wait_seconds=0)
    await app.wait_connection("Reconnecting", "back to main session")
    await app.wait_for(lambda: _status_is(app, "initial"))
    assert [e["status"] for e in await app.events("room-state-change")] == [2, 3, 4]
    assert await app.value("getBreakoutRoomStatus") == 4


async def _status_is(app: AppPage, status: str) -> bool:
    return bool(await app.value("getUserStatus") == status)


async def test_duplicated_session_and_ended_by_host(
    app: AppPage, chromium: Browser, app_origin: RunningServer, module_zoom: FakeZoom, meeting_number: str
) -> None:
    await module_zoom.create_meeting(number=meeting_number)
    assert (await app.join(meeting_number, "Avatar", userEmail="bot@x.test"))["ok"] is True
    second = await AppPage.open(chromium, app_origin, module_zoom)
    try:
        assert (await second.join(meeting_number, "Avatar", userEmail="bot@x.test"))["ok"] is True
        assert await app.wait_connection("Closed") == {"state": "Closed", "reason": "duplicated session"}
        await module_zoom.post(f"/fake/meetings/{meeting_number}/end")
        assert await second.wait_connection("Closed") == {"state": "Closed", "reason": "ended by host"}
    finally:
        await second.close()


RECORD_DEVICE_CALLS = """
window.deviceCalls = [];
const devices = navigator.mediaDevices;
const enumerate = devices.enumerateDevices.bind(devices);
const getUserMedia = devices.getUserMedia.bind(devices);
devices.enumerateDevices = async () => {
  const list = await enumerate();
  window.deviceCalls.push({ call: 'enumerateDevices', ids: list.map((d) => [d.kind, d.deviceId]) });
  return list;
};
devices.getUserMedia = (constraints) => {
  window.deviceCalls.push({ call: 'getUserMedia', constraints: JSON.parse(JSON.stringify(constraints)) });
  return getUserMedia(constraints);
};
"""


async def test_toolbar_buttons_open_devices_by_id(
    chromium: Browser, app_origin: RunningServer, module_zoom: FakeZoom, meeting_number: str
) -> None:
    await module_zoom.create_meeting(number=meeting_number)
    app = await AppPage.open(chromium, app_origin, module_zoom, init_script=RECORD_DEVICE_CALLS)
    try:
        assert (await app.join(meeting_number, "Avatar"))["ok"] is True
        assert await app.page.evaluate("window.deviceCalls") == []  # nothing before the buttons are pressed
        await app.page.get_by_role("button", name="Audio", exact=True).click()
        await app.page.get_by_role("button", name="Mute", exact=True).wait_for()
        await app.page.get_by_role("button", name="Start Video", exact=True).click()
        await app.page.get_by_role("button", name="Stop Video", exact=True).wait_for()
        calls = await app.page.evaluate("window.deviceCalls")
        assert calls[0]["call"] == "enumerateDevices"
        opened = 0
        for index, call in enumerate(calls):
            if call["call"] != "getUserMedia" or not _has_exact(call["constraints"]):
                continue
            # Each device is opened by the id of the first device of its kind that the last listing showed.
            listing = next(c for c in reversed(calls[:index]) if c["call"] == "enumerateDevices")
            ((kind, wanted),) = call["constraints"].items()
            device_kind = "audioinput" if kind == "audio" else "videoinput"
            first_id = next(i for k, i in listing["ids"] if k == device_kind and i)
            assert wanted["deviceId"] == {"exact": first_id}
            opened += 1
        assert opened == 2, calls
        person = await app.wait_for(lambda: _media_on(module_zoom, meeting_number))
        assert person["audio"] == "computer" and person["muted"] is False and person["video"] is True
        await app.page.get_by_role("button", name="Mute").click()
        await app.page.get_by_role("button", name="Unmute").wait_for()
        assert await app.page.get_by_role("button", name="Leave").is_visible()
    finally:
        await app.close()


def _has_exact(constraints: dict[str, Any]) -> bool:
    return any(isinstance(v, dict) and "exact" in v.get("deviceId", {}) for v in constraints.values())


async def _media_on(zoom: FakeZoom, number: str) -> dict[str, Any] | None:
    person = await zoom.person(number, "Avatar")
    return person if person["video"] and person["audio"] else None


async def test_es_module_and_web_endpoint_override(
    chromium: Browser, app_origin: RunningServer, module_zoom: FakeZoom, meeting_number: str
) -> None:
    await module_zoom.create_meeting(number=meeting_number)
    context = await chromium.new_context()
    try:
        page = await context.new_page()
        await page.goto(f"{app_origin.base_url}/app?sdk=data:text/javascript,")
        joined = await page.evaluate(
            """async ([url, signature, number]) => {
                 const ZoomMtgEmbedded = (await import(url)).default;
                 const client = ZoomMtgEmbedded.createClient();
                 const states = [];
                 const root = document.getElementById('zoom-root');
                 client.on('connection-change', (p) => states.push(p.state));
                 // A wrong endpoint first: the join cannot reach a service.
                 await client.init({ zoomAppRoot: root, webEndpoint: 'http://127.0.0.1:9' });
                 const failure = await client.join({ signature, meetingNumber: number, userName: 'M' }).catch((e) => e);
                 await client.init({ zoomAppRoot: root, webEndpoint: new URL(url).origin });
                 await client.join({ signature, meetingNumber: number, userName: 'M' });
                 return { failure, states, user: client.getCurrentUser().userName };
               }""",
            [f"{module_zoom.base_url}/sdk/embedded.mjs", meeting_jwt(meeting_number), meeting_number],
        )
        assert joined["failure"] == {
            "type": "JOIN_MEETING_FAILED",
            "errorCode": 3622,
            "reason": "Could not connect to Web Server error.",
        }
        assert joined["states"] == ["Fail", "Connected"]
        assert joined["user"] == "M"
    finally:
        await context.close()


async def test_failover_when_the_service_goes_away(chromium: Browser, app_origin: RunningServer) -> None:
    from tests.fakes_zoom.harness import running_fake_zoom

    async with running_fake_zoom() as zoom:
        await zoom.create_meeting(number="85746060001")
        app = await AppPage.open(chromium, app_origin, zoom)
        assert (await app.join("85746060001", "Avatar"))["ok"] is True
    try:
        # The service stopped without closing the meeting: the SDK reports a failover and keeps trying.
        assert await app.wait_connection("Reconnecting") == {"state": "Reconnecting", "reason": "failover"}
        assert (await app.call("mute", True))["error"]["reason"] == "reconnecting"
        assert [e["state"] for e in await app.connection_states()].count("Fail") == 0
    finally:
        await app.close()


async def test_pre_assigned_rooms_never_apply_to_sdk_participants_and_a_rejoin_comes_back_unassigned(
    chromium: Browser, app_origin: RunningServer, module_zoom: FakeZoom, meeting_number: str
) -> None:
    await module_zoom.create_meeting(number=meeting_number, breakout_rooms=["Room 1"])
    await module_zoom.add_virtual(meeting_number, name="Host", host=True)
    # The host pre-assigns both the bot and a desktop-client student before they join.
    for name in ("Bot", "Student"):
        await module_zoom.post(f"/fake/meetings/{meeting_number}/breakout/assign", name=name, room="Room 1")
    await module_zoom.add_virtual(meeting_number, name="Student")
    bot = await AppPage.open(chromium, app_origin, module_zoom)
    try:
        assert (await bot.join(meeting_number, "Bot"))["ok"] is True
        await module_zoom.post(f"/fake/meetings/{meeting_number}/breakout/open")
        await bot.wait_for(lambda: bot.events("room-state-change"))
        assert await bot.value("getUserStatus") == "initial"  # the SDK participant is not assigned
        assert (await module_zoom.person(meeting_number, "Student"))["breakout_status"] == "invited"
        assert (await module_zoom.person(meeting_number, "Bot"))["sdk_client"] is True

        # Assigned in the meeting, the bot is invited; relaunched (a new page), it comes back unassigned.
        await module_zoom.post(f"/fake/meetings/{meeting_number}/breakout/assign", name="Bot", room="Room 1")
        await bot.wait_for(lambda: _status_is(bot, "invited"))
    finally:
        await bot.close()
    again = await AppPage.open(chromium, app_origin, module_zoom)
    try:
        assert (await again.join(meeting_number, "Bot"))["ok"] is True
        await again.wait_for(lambda: again.value("getBreakoutRoomStatus"))
        assert await again.value("getBreakoutRoomStatus") == 2
        assert await again.value("getUserStatus") == "initial"
    finally:
        await again.close()
