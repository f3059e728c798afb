"""Join refusals over the SDK stand-in's socket: each check of the service with Zoom's code and reason."""

from __future__ import annotations

import asyncio
import time

import pytest

from fakes.zoom import errors
from tests.fakes_zoom.harness import APP_OWNER, PROFESSOR, FakeZoom, SignallingClient, meeting_jwt

NUMBER = "85746065432"


async def join(fake: FakeZoom, name: str = "Bot", number: str = NUMBER, **fields: object) -> dict[str, object]:
    client = await SignallingClient.open(fake.ws_url)
    try:
        return await client.join(number, name, **fields)
    finally:
        await client.close()


def refused(result: dict[str, object], expected: errors.JoinRefusal) -> None:
    assert result == {"op": "join_failed", "errorCode": expected.error_code, "reason": expected.reason}


async def test_plain_join_of_own_account_meeting(fake_zoom: FakeZoom) -> None:
    await fake_zoom.create_meeting(number=NUMBER)
    client = await SignallingClient.open(fake_zoom.ws_url)
    result = await client.join(NUMBER, "Student")
    assert result["op"] == "joined"
    state = client.state()
    assert state["self"]["userName"] == "Student"
    assert state["self"]["isHold"] is False
    assert state["media"]["room"] == "main"
    roster = await fake_zoom.roster(NUMBER)
    assert [(p["name"], p["location"]) for p in roster["participants"]] == [("Student", "main")]
    await client.close()


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        (meeting_jwt(NUMBER, secret="x" * 40), errors.SIGNATURE_INVALID),
        (meeting_jwt(NUMBER, iat=time.time() - 8000), errors.SIGNATURE_EXPIRED),
        (meeting_jwt(NUMBER, lifetime=600), errors.SIGNATURE_INVALID),
        (meeting_jwt(NUMBER, key="other-key"), errors.API_KEY_WRONG),
        (meeting_jwt("99999999999"), errors.MEETING_NUMBER_WRONG),
        (meeting_jwt(NUMBER, role=5), errors.ROLE_WRONG),
    ],
    ids=["bad-signature", "expired", "short-lifetime", "foreign-key", "mn-mismatch", "bad-role"],
)
async def test_signature_refusals(fake_zoom: FakeZoom, signature: str, expected: errors.JoinRefusal) -> None:
    await fake_zoom.create_meeting(number=NUMBER)
    refused(await join(fake_zoom, signature=signature), expected)


async def test_meeting_lookup_passcode_and_start(fake_zoom: FakeZoom) -> None:
    refused(await join(fake_zoom), errors.MEETING_NOT_EXIST)
    await fake_zoom.create_meeting(number=NUMBER, passcode="s3cret", started=False, join_before_host=False)
    refused(await join(fake_zoom, password="wrong"), errors.WRONG_PASSCODE)
    refused(await join(fake_zoom, password="s3cret"), errors.MEETING_NOT_STARTED)
    await fake_zoom.post(f"/fake/meetings/{NUMBER}/start")
    assert (await join(fake_zoom, password="s3cret"))["op"] == "joined"
    await fake_zoom.post(f"/fake/meetings/{NUMBER}/end")
    refused(await join(fake_zoom, password="s3cret"), errors.MEETING_NOT_STARTED)


async def test_host_starts_with_role_1_and_the_owners_zak(fake_zoom: FakeZoom) -> None:
    await fake_zoom.create_meeting(number=NUMBER, started=False, join_before_host=False, host_user=APP_OWNER)
    refused(await join(fake_zoom, signature=meeting_jwt(NUMBER, role=1)), errors.ZAK_ERROR)
    professor_zak = await fake_zoom.user_token(PROFESSOR, kind="zak")
    refused(await join(fake_zoom, signature=meeting_jwt(NUMBER, role=1), zak=professor_zak), errors.ZAK_ERROR)
    zak = await fake_zoom.user_token(APP_OWNER, kind="zak")
    host = await SignallingClient.open(fake_zoom.ws_url)
    assert (await host.join(NUMBER, "Owner", signature=meeting_jwt(NUMBER, role=1), zak=zak))["op"] == "joined"
    assert host.state()["self"]["isHost"] is True
    assert (await fake_zoom.admin.get(f"/fake/meetings/{NUMBER}")).json()["started"] is True
    await host.close()


async def test_bot_detection_switch(fake_zoom: FakeZoom) -> None:
    await fake_zoom.create_meeting(number=NUMBER, block_bots=True)
    refused(await join(fake_zoom, automated=True), errors.BOT_DETECTED)
    assert (await join(fake_zoom, automated=False))["op"] == "joined"
    response = await fake_zoom.admin.patch(f"/fake/meetings/{NUMBER}", json={"block_bots": False})
    assert response.status_code == 200
    assert (await join(fake_zoom, automated=True))["op"] == "joined"


@pytest.mark.parametrize("code", [4004, 4005, 4006, 4011, 4012, 4016, 4018])
async def test_forced_refusal_uses_the_table(fake_zoom: FakeZoom, code: int) -> None:
    await fake_zoom.create_meeting(number=NUMBER, force_join_error=code)
    refused(await join(fake_zoom), errors.refusal_for_code(code))


async def test_unknown_forced_code_is_rejected(fake_zoom: FakeZoom) -> None:
    response = await fake_zoom.admin.post("/fake/meetings", json={"number": NUMBER, "force_join_error": 1234})
    assert response.status_code == 422


async def test_recording_token_and_credential_conflict(fake_zoom: FakeZoom) -> None:
    await fake_zoom.create_meeting(number=NUMBER)
    refused(await join(fake_zoom, recordingToken="anything"), errors.RECORDING_TOKEN_EXPIRED)
    zak = await fake_zoom.user_token(APP_OWNER, kind="zak")
    refused(await join(fake_zoom, zak=zak, userEmail="someone@else.test"), errors.CREDENTIALS_CONFLICT)
    assert (await join(fake_zoom, zak=zak, userEmail="OWNER@sim.avatarfarm.test"))["op"] == "joined"


async def test_authenticated_only_meeting_refuses_anonymous_joins(fake_zoom: FakeZoom) -> None:
    await fake_zoom.create_meeting(number=NUMBER, authenticated_only=True)
    refused(await join(fake_zoom), errors.ANONYMOUS_JOIN)
    zak = await fake_zoom.user_token(APP_OWNER, kind="zak")
    assert (await join(fake_zoom, zak=zak))["op"] == "joined"


class TestExternalAccountMeetings:
    """Meetings of another account than the SDK app's: OBF (or ZAK) required, authorizer present."""

    async def test_obf_rules(self, fake_zoom: FakeZoom) -> None:
        await fake_zoom.create_meeting(number=NUMBER, external_account=True)
        refused(await join(fake_zoom), errors.NO_OBF_TOKEN)
        refused(await join(fake_zoom, obfToken="simobf_forged"), errors.OBF_INVALID)
        obf = await fake_zoom.user_token(PROFESSOR)
        refused(await join(fake_zoom, obfToken=obf), errors.AUTHORIZER_ABSENT)
        # Only the refusal for the authorizer's absence e-mails the host, once per refused join.
        emails = (await fake_zoom.admin.get(f"/fake/meetings/{NUMBER}")).json()["host_emails"]
        assert len(emails) == 1 and "not in it" in emails[0]["text"]
        professor = await fake_zoom.add_virtual(NUMBER, name="Prof. Ada", host=True, zoom_user_id=PROFESSOR)
        bot = await SignallingClient.open(fake_zoom.ws_url)
        assert (await bot.join(NUMBER, "Avatar", obfToken=obf))["op"] == "joined"
        me = bot.state()["self"]
        assert me["isBotUser"] is True
        assert me["botAuthorizerName"] == "Ada Professor"
        # The authorizer leaves: the bot is closed with the bundle's reason (UI code 4019).
        response = await fake_zoom.admin.delete(f"/fake/meetings/{NUMBER}/participants/{professor}")
        assert response.status_code == 204
        closed = await bot.wait_for(lambda m: m["op"] == "closed")
        assert closed["reason"] == errors.CLOSED_MASTER_LEFT == "bot user kicked due to master leaving"
        roster = await fake_zoom.roster(NUMBER)
        assert roster["participants"] == []
        await bot.close()

    async def test_obf_token_is_single_meeting(self, fake_zoom: FakeZoom) -> None:
        other = "85746065999"
        for number in (NUMBER, other):
            await fake_zoom.create_meeting(number=number, external_account=True)
            await fake_zoom.add_virtual(number, name="Prof. Ada", host=True, zoom_user_id=PROFESSOR)
        obf = await fake_zoom.user_token(PROFESSOR)
        assert (await join(fake_zoom, obfToken=obf))["op"] == "joined"
        refused(
            await join(fake_zoom, number=other, signature=meeting_jwt(other), obfToken=obf), errors.OBF_OTHER_MEETING
        )
        bound = await fake_zoom.user_token(PROFESSOR, meeting_id=other)
        refused(await join(fake_zoom, obfToken=bound), errors.OBF_OTHER_MEETING)
        assert (await join(fake_zoom, number=other, signature=meeting_jwt(other), obfToken=bound))["op"] == "joined"

    async def test_expired_obf_token_is_invalid(self, fake_zoom: FakeZoom) -> None:
        await fake_zoom.create_meeting(number=NUMBER, external_account=True)
        await fake_zoom.add_virtual(NUMBER, name="Prof. Ada", host=True, zoom_user_id=PROFESSOR)
        obf = await fake_zoom.user_token(PROFESSOR, ttl=1)
        await asyncio.sleep(1.1)
        refused(await join(fake_zoom, obfToken=obf), errors.OBF_INVALID)

    async def test_authorizer_in_waiting_room_is_not_in_the_meeting(self, fake_zoom: FakeZoom) -> None:
        await fake_zoom.create_meeting(number=NUMBER, external_account=True, waiting_room=True)
        await fake_zoom.add_virtual(NUMBER, name="Prof. Ada", zoom_user_id=PROFESSOR)
        obf = await fake_zoom.user_token(PROFESSOR)
        refused(await join(fake_zoom, obfToken=obf), errors.AUTHORIZER_ABSENT)

    async def test_zak_also_authorizes(self, fake_zoom: FakeZoom) -> None:
        await fake_zoom.create_meeting(number=NUMBER, external_account=True)
        zak = await fake_zoom.user_token(PROFESSOR, kind="zak")
        assert (await join(fake_zoom, zak=zak))["op"] == "joined"

    async def test_unpublished_app_cannot_join_external_meetings(self) -> None:
        from tests.fakes_zoom.harness import running_fake_zoom

        async with running_fake_zoom(app_published=False) as fake:
            await fake.create_meeting(number=NUMBER, external_account=True)
            await fake.add_virtual(NUMBER, name="Prof. Ada", host=True, zoom_user_id=PROFESSOR)
            obf = await fake.user_token(PROFESSOR)
            refused(await join(fake, obfToken=obf), errors.CROSS_ACCOUNT)
            await fake.create_meeting(number="85746065000")
            assert (await join(fake, number="85746065000", signature=meeting_jwt("85746065000")))["op"] == "joined"


async def test_duplicated_session_closes_the_older_one(fake_zoom: FakeZoom) -> None:
    await fake_zoom.create_meeting(number=NUMBER)
    first = await SignallingClient.open(fake_zoom.ws_url)
    assert (await first.join(NUMBER, "Avatar", userEmail="bot@x.test"))["op"] == "joined"
    second = await SignallingClient.open(fake_zoom.ws_url)
    assert (await second.join(NUMBER, "Avatar", userEmail="bot@x.test"))["op"] == "joined"
    closed = await first.wait_for(lambda m: m["op"] == "closed")
    assert closed["reason"] == "duplicated session"
    roster = await fake_zoom.roster(NUMBER)
    assert [p["user_id"] for p in roster["participants"]] == [second.user_id]
    # The same name without an email is someone else, not a duplicate.
    third = await SignallingClient.open(fake_zoom.ws_url)
    assert (await third.join(NUMBER, "Avatar"))["op"] == "joined"
    assert len((await fake_zoom.roster(NUMBER))["participants"]) == 2
    for client in (second, third):
        await client.close()


async def test_same_zak_user_is_a_duplicated_session(fake_zoom: FakeZoom) -> None:
    await fake_zoom.create_meeting(number=NUMBER)
    zak = await fake_zoom.user_token(APP_OWNER, kind="zak")
    first = await SignallingClient.open(fake_zoom.ws_url)
    assert (await first.join(NUMBER, "Owner tab 1", zak=zak))["op"] == "joined"
    second = await SignallingClient.open(fake_zoom.ws_url)
    assert (await second.join(NUMBER, "Owner tab 2", zak=zak))["op"] == "joined"
    assert (await first.wait_for(lambda m: m["op"] == "closed"))["reason"] == "duplicated session"
    await second.close()


async def test_second_join_on_one_connection_is_refused(fake_zoom: FakeZoom) -> None:
    await fake_zoom.create_meeting(number=NUMBER)
    client = await SignallingClient.open(fake_zoom.ws_url)
    assert (await client.join(NUMBER, "A"))["op"] == "joined"
    await client.send({"op": "join", "meetingNumber": NUMBER, "userName": "A", "signature": meeting_jwt(NUMBER)})
    failed = await client.wait_for(lambda m: m["op"] == "join_failed")
    assert failed["reason"] == "Duplicated join operation"
    await client.close()
