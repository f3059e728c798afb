"""Waiting room, breakout rooms and closing reasons, driven over the stand-in's socket and the host controls."""

from __future__ import annotations

from typing import Any

from fakes.zoom.signature import ZOOM_CLIENT_CLAIM
from tests.fakes_zoom.harness import FakeZoom, SignallingClient, meeting_jwt

NUMBER = "85746065432"


async def joined(fake: FakeZoom, name: str, **fields: Any) -> SignallingClient:
    client = await SignallingClient.open(fake.ws_url)
    result = await client.join(NUMBER, name, **fields)
    assert result["op"] == "joined", result
    return client


def connection_changes(client: SignallingClient) -> list[dict[str, Any]]:
    return list(client.events("connection-change"))


class TestWaitingRoom:
    async def test_admit_and_send_back(self, fake_zoom: FakeZoom) -> None:
        await fake_zoom.create_meeting(number=NUMBER, waiting_room=True)
        host_id = await fake_zoom.add_virtual(NUMBER, name="Host", host=True)
        bot = await joined(fake_zoom, "Avatar")
        state = bot.state()
        assert state["self"]["isHold"] is True
        assert state["media"]["room"] is None
        assert [p["userName"] for p in state["participants"]] == ["Avatar"]
        assert (await fake_zoom.person(NUMBER, "Avatar"))["location"] == "waiting_room"
        # Most calls are refused while on hold.
        response = await bot.request("joinBreakoutRoom", roomId="x")
        assert response["error"] == {"type": "IMPROPER_MEETING_STATE", "reason": "on hold", "errorCode": 5004}

        await fake_zoom.post(f"/fake/meetings/{NUMBER}/admit", name="Avatar")
        await bot.wait_state(lambda s: s["self"]["isHold"] is False)
        await bot.wait_event("connection-change", lambda p: p["state"] == "Connected")
        assert bot.state()["media"]["room"] == "main"
        assert {p["userName"] for p in bot.state()["participants"]} == {"Host", "Avatar"}
        assert (await fake_zoom.person(NUMBER, "Avatar"))["location"] == "main"

        before = len(bot.messages)
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/hold", name="Avatar")
        changes = [
            m["payload"]
            for m in (await _settle(bot, before))
            if m["op"] == "event" and m["name"] == "connection-change"
        ]
        assert changes[0] == {"state": "Reconnecting", "reason": "on hold"}
        assert bot.state()["self"]["isHold"] is True
        assert host_id

    async def test_host_skips_the_waiting_room_and_admits_from_the_client(self, fake_zoom: FakeZoom) -> None:
        await fake_zoom.create_meeting(number=NUMBER, waiting_room=True)
        student = await joined(fake_zoom, "Student")
        zakless_host = await fake_zoom.add_virtual(NUMBER, name="Host", host=True)
        assert zakless_host
        cohost_id = await fake_zoom.add_virtual(NUMBER, name="Helper", cohost=True)
        assert (await fake_zoom.person(NUMBER, "Helper"))["location"] == "main"
        assert cohost_id
        other = await joined(fake_zoom, "Other")
        refused = await other.request("admit", userId=student.user_id)
        assert refused["error"]["type"] == "IMPROPER_MEETING_STATE"  # Other is on hold too
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/admit")  # everyone
        await other.wait_state(lambda s: not s["self"]["isHold"])
        refused = await other.request("putOnHold", userId=student.user_id, hold=True)
        assert refused["error"] == {
            "type": "INSUFFICIENT_PRIVILEGES",
            "reason": "only host or co-host can do the operation",
            "errorCode": 5006,
        }
        for client in (student, other):
            await client.close()


async def _settle(client: SignallingClient, start: int) -> list[dict[str, Any]]:
    """Messages from `start` up to and including the next `Connected`."""
    connected = await client.wait_event("connection-change", lambda p: p["state"] == "Connected", since=start)
    assert connected == {"state": "Connected"}
    return client.messages[start:]


class TestBreakoutRooms:
    async def test_assignment_invitation_and_join(self, fake_zoom: FakeZoom) -> None:
        await fake_zoom.create_meeting(number=NUMBER, breakout_rooms=["Room 1", "Room 2"])
        bot = await joined(fake_zoom, "Avatar 1")
        peer = await joined(fake_zoom, "Student")
        rooms = bot.state()["breakout"]["rooms"]
        room1 = next(r["roomId"] for r in rooms if r["name"] == "Room 1")
        assert all(r["attendeeList"] == [] for r in rooms)  # plain attendee without self-select
        assert bot.state()["breakout"]["userStatus"] == "initial"

        response = await bot.request("joinBreakoutRoom", roomId=room1)
        assert response["error"] == {
            "type": "INVALID_OPERATION",
            "reason": "Breakout room is not started",
            "errorCode": 7504,
        }
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/assign", name="Avatar 1", room="Room 1")
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/open")
        status = await bot.wait_event("room-state-change")
        assert status == {"status": 2}
        state = await bot.wait_state(lambda s: s["breakout"]["userStatus"] == "invited")
        assert state["breakout"]["current"] == {"attendeeStatus": "invited", "name": "Room 1", "roomId": room1}

        room2 = next(r["roomId"] for r in rooms if r["name"] == "Room 2")
        response = await bot.request("joinBreakoutRoom", roomId=room2)
        assert response["error"]["reason"] == "Room ID is not correct"
        assert response["error"]["type"] == "INVALID_PARAMETERS"

        response = await bot.request("joinBreakoutRoom", roomId=room1)
        assert response["ok"] is True
        reconnecting = await bot.wait_event("connection-change", lambda p: p["state"] == "Reconnecting")
        assert reconnecting == {"state": "Reconnecting", "reason": "join breakout room", "roomName": "Room 1"}
        state = bot.state()
        assert state["breakout"]["userStatus"] == "in room"
        assert state["media"]["room"] == room1
        assert [p["userName"] for p in state["participants"]] == ["Avatar 1"]
        assert peer.state()["media"]["peers"] == []
        assert (await fake_zoom.person(NUMBER, "Avatar 1"))["room"]["name"] == "Room 1"
        # Joining the room one is in resolves at once.
        assert (await bot.request("joinBreakoutRoom", roomId=room1))["ok"] is True

        # Back to the main session (allowed by default), then closing brings everyone back.
        assert (await bot.request("leaveBreakoutRoom"))["ok"] is True
        state = await bot.wait_state(lambda s: s["media"]["room"] == "main")
        assert state["breakout"]["userStatus"] == "main session"
        assert (await bot.request("joinBreakoutRoom", roomId=room1))["ok"] is True
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/close", wait_seconds=0)
        await bot.wait_event("room-state-change", lambda p: p["status"] == 4)
        statuses = [p["status"] for p in bot.events("room-state-change")]
        assert statuses[-2:] == [3, 4]
        state = await bot.wait_state(lambda s: s["media"]["room"] == "main" and s["breakout"]["status"] == 4)
        assert state["breakout"]["userStatus"] == "initial"
        back = bot.events("connection-change")
        assert {"state": "Reconnecting", "reason": "back to main session"} in back
        for client in (bot, peer):
            await client.close()

    async def test_auto_join_moves_assigned_people_and_late_joiners(self, fake_zoom: FakeZoom) -> None:
        await fake_zoom.create_meeting(
            number=NUMBER, breakout_rooms=["Room A"], breakout_options={"isAutoJoinRoom": True}
        )
        early = await joined(fake_zoom, "Early")
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/assign", name="Early", room="Room A")
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/assign", name="Late", room="Room A")
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/open")
        await early.wait_state(lambda s: s["breakout"]["userStatus"] == "in room")
        # A pre-assignment applies to Zoom's own clients (here, the kind of signature the participant page has).
        zoom_client: dict[str, Any] = {ZOOM_CLIENT_CLAIM: True}
        late = await joined(fake_zoom, "Late", signature=meeting_jwt(NUMBER, **zoom_client))
        assert late.state()["breakout"]["userStatus"] == "in room"
        state = await early.wait_state(lambda s: [p["userId"] for p in s["media"]["peers"]] == [late.user_id])
        assert {p["userName"] for p in state["participants"]} == {"Early", "Late"}
        for client in (early, late):
            await client.close()

    async def test_self_select_needs_a_host(self, fake_zoom: FakeZoom) -> None:
        await fake_zoom.create_meeting(
            number=NUMBER,
            breakout_rooms=["Room 1"],
            breakout_options={"isRoomSelectionEnabled": True, "isBackToMainSessionEnabled": False},
        )
        bot = await joined(fake_zoom, "Avatar")
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/open")
        state = await bot.wait_state(lambda s: s["breakout"]["status"] == 2)
        room1 = state["breakout"]["rooms"][0]["roomId"]
        response = await bot.request("joinBreakoutRoom", roomId=room1)
        assert response["error"] == {
            "type": "INVALID_OPERATION",
            "reason": "No host in the meeting, cannot join the room",
            "errorCode": 7504,
        }
        response = await bot.request("joinBreakoutRoom", roomId="{NOT-A-ROOM}")
        assert response["error"]["reason"] == "Room ID is not correct"
        await fake_zoom.add_virtual(NUMBER, name="Professor", host=True)
        assert (await bot.request("joinBreakoutRoom", roomId=room1))["ok"] is True
        state = await bot.wait_state(lambda s: s["breakout"]["userStatus"] == "in room")
        # Self-select shows the attendees of every room.
        assert [a["displayName"] for a in state["breakout"]["rooms"][0]["attendeeList"]] == ["Avatar"]
        response = await bot.request("leaveBreakoutRoom")
        assert response["error"] == {
            "type": "INSUFFICIENT_PRIVILEGES",
            "reason": "Can not return main session during the breakout room",
            "errorCode": 7505,
        }
        await bot.close()

    async def test_host_moves_between_rooms_and_closing_waits(self, fake_zoom: FakeZoom) -> None:
        await fake_zoom.create_meeting(number=NUMBER, breakout_rooms=["Room 1", "Room 2"])
        bot = await joined(fake_zoom, "Avatar")
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/open")
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/move", name="Avatar", room="Room 2")
        event = await bot.wait_event("connection-change", lambda p: p.get("reason") == "move to breakout room")
        assert event["roomName"] == "Room 2"
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/move", name="Avatar", room="Room 1")
        await bot.wait_state(lambda s: s["breakout"]["current"]["name"] == "Room 1")
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/close", wait_seconds=1)
        state = await bot.wait_state(lambda s: s["breakout"]["status"] == 3)
        assert state["media"]["room"] != "main"  # still in the room during the countdown
        await bot.wait_state(lambda s: s["breakout"]["status"] == 4 and s["media"]["room"] == "main")
        await bot.close()

    async def test_host_api_errors(self, fake_zoom: FakeZoom) -> None:
        await fake_zoom.create_meeting(number=NUMBER, breakout_rooms=["Room 1"])
        close = await fake_zoom.admin.post(f"/fake/meetings/{NUMBER}/breakout/close", json={})
        assert close.status_code == 409
        unknown_room = await fake_zoom.admin.post(
            f"/fake/meetings/{NUMBER}/breakout/assign", json={"name": "X", "room": "Nope"}
        )
        assert unknown_room.status_code == 404
        nobody = await fake_zoom.admin.post(f"/fake/meetings/{NUMBER}/kick", json={"name": "Nobody"})
        assert nobody.status_code == 404


class TestClosingReasons:
    async def test_kicked_ended_and_user_request(self, fake_zoom: FakeZoom) -> None:
        await fake_zoom.create_meeting(number=NUMBER)
        kicked = await joined(fake_zoom, "Kicked")
        stays = await joined(fake_zoom, "Stays")
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/kick", name="Kicked")
        assert (await kicked.wait_for(lambda m: m["op"] == "closed"))["reason"] == "kicked by host"
        await stays.wait_state(lambda s: [p["userName"] for p in s["participants"]] == ["Stays"])
        leaver = await joined(fake_zoom, "Leaver")
        assert (await leaver.request("leaveMeeting"))["ok"] is True
        assert (await leaver.wait_for(lambda m: m["op"] == "closed"))["reason"] == "user request"
        refused = await stays.request("endMeeting")
        assert refused["error"]["reason"] == "only host can do the operation"
        await fake_zoom.post(f"/fake/meetings/{NUMBER}/end")
        assert (await stays.wait_for(lambda m: m["op"] == "closed"))["reason"] == "ended by host"
        assert (await fake_zoom.roster(NUMBER))["participants"] == []

    async def test_host_client_controls(self, fake_zoom: FakeZoom) -> None:
        from tests.fakes_zoom.harness import APP_OWNER, meeting_jwt

        await fake_zoom.create_meeting(number=NUMBER, host_user=APP_OWNER, breakout_rooms=["Room 1"])
        zak = await fake_zoom.user_token(APP_OWNER, kind="zak")
        host = await joined(fake_zoom, "Owner", zak=zak, signature=meeting_jwt(NUMBER, role=1))
        student = await joined(fake_zoom, "Student")
        room = host.state()["breakout"]["rooms"][0]["roomId"]
        assert (await host.request("openBreakoutRooms", rooms=[{"roomId": room, "name": "Room 1"}]))["ok"]
        assert (await host.request("assignUserToRoom", userId=student.user_id, targetRoomId=room))["ok"]
        await student.wait_state(lambda s: s["breakout"]["userStatus"] == "invited")
        assert (await host.request("moveUserToBreakoutRoom", userId=student.user_id, targetRoomId=room))["ok"]
        await student.wait_state(lambda s: s["breakout"]["userStatus"] == "in room")
        assert (await host.request("broadcast", content="Two minutes left"))["ok"]
        assert await student.wait_event("broadcast-message") == {"message": "Two minutes left"}
        assert (await host.request("closeAllBreakoutRooms"))["ok"]
        assert (await host.request("mute", mute=True, userId=student.user_id))["ok"]
        assert (await student.wait_for(lambda m: m["op"] == "remote-mute"))["mute"] is True
        assert (await host.request("expel", userId=student.user_id))["ok"]
        assert (await student.wait_for(lambda m: m["op"] == "closed"))["reason"] == "kicked by host"
        assert (await host.request("endMeeting"))["ok"]
        assert (await host.wait_for(lambda m: m["op"] == "closed"))["reason"] == "ended by host"


async def test_signals_relay_only_within_a_room(fake_zoom: FakeZoom) -> None:
    await fake_zoom.create_meeting(number=NUMBER, breakout_rooms=["Room 1"])
    a = await joined(fake_zoom, "A")
    b = await joined(fake_zoom, "B")
    await a.send({"op": "signal", "to": b.user_id, "data": {"hello": 1}})
    assert (await b.wait_for(lambda m: m["op"] == "signal"))["data"] == {"hello": 1}
    await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/open")
    await fake_zoom.post(f"/fake/meetings/{NUMBER}/breakout/move", name="A", room="Room 1")
    await a.wait_state(lambda s: s["media"]["room"] != "main")
    await a.send({"op": "signal", "to": b.user_id, "data": {"hello": 2}})
    await a.send({"op": "stats", "report": {"sending": {"audioLevel": 0.3}, "receiving": []}})
    roster = await fake_zoom.roster(NUMBER)
    a_entry = next(p for p in roster["participants"] if p["name"] == "A")
    assert a_entry["media"]["sending"] == {"audioLevel": 0.3}
    assert [m["data"] for m in b.messages if m["op"] == "signal"] == [{"hello": 1}]
    await a.close()
    await b.close()
