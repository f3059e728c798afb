"""Meeting SDK JWT rules, checked at the signature level with tokens minted by pyjwt."""

from __future__ import annotations

import time

import jwt
import pytest

from fakes.zoom import errors
from fakes.zoom.signature import verify_signature
from tests.fakes_zoom.harness import SDK_KEY, SDK_SECRET, meeting_jwt

NUMBER = "85746065432"


def check(token: str, number: str = NUMBER) -> object:
    return verify_signature(token, sdk_key=SDK_KEY, sdk_secret=SDK_SECRET, meeting_number=number)


def refusal(token: str, number: str = NUMBER) -> errors.JoinRefusal:
    with pytest.raises(errors.JoinRefusal) as caught:
        check(token, number)
    return caught.value


def test_official_sample_shape_is_accepted() -> None:
    signature = check(meeting_jwt(NUMBER, sdkKey=SDK_KEY, video_webrtc_mode=1))
    assert signature.meeting_number == NUMBER  # type: ignore[attr-defined]
    assert signature.role == 0  # type: ignore[attr-defined]


def test_sdk_key_claim_alone_is_still_accepted_and_numbers_may_be_ints() -> None:
    check(meeting_jwt(int(NUMBER), key_claim="sdkKey"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (meeting_jwt(NUMBER, secret="another-secret-also-32-characters"), errors.SIGNATURE_INVALID),
        ("not-a-jwt", errors.SIGNATURE_INVALID),
        (meeting_jwt(NUMBER, algorithm="HS512"), errors.SIGNATURE_INVALID),
        (meeting_jwt(NUMBER, key="someone-elses-key"), errors.API_KEY_WRONG),
        (meeting_jwt(NUMBER, iat=time.time() - 7300, lifetime=7200), errors.SIGNATURE_EXPIRED),
        (meeting_jwt(NUMBER, lifetime=1799), errors.SIGNATURE_INVALID),
        (meeting_jwt(NUMBER, lifetime=48 * 3600 + 1), errors.SIGNATURE_INVALID),
        (meeting_jwt(NUMBER, iat=time.time() + 600), errors.SIGNATURE_INVALID),
        (meeting_jwt("11111111111"), errors.MEETING_NUMBER_WRONG),
        (meeting_jwt(NUMBER, role=2), errors.ROLE_WRONG),
        (meeting_jwt(NUMBER, role="host"), errors.ROLE_WRONG),
    ],
    ids=[
        "wrong-secret",
        "garbage",
        "wrong-algorithm",
        "foreign-app-key",
        "expired",
        "lifetime-under-30-min",
        "lifetime-over-48-h",
        "issued-in-the-future",
        "other-meeting-number",
        "role-2",
        "role-not-a-number",
    ],
)
def test_refusals_carry_zoom_codes_and_reasons(token: str, expected: errors.JoinRefusal) -> None:
    assert refusal(token) == expected


def test_lifetime_bounds_are_inclusive() -> None:
    check(meeting_jwt(NUMBER, lifetime=1800))
    check(meeting_jwt(NUMBER, lifetime=48 * 3600))


def test_missing_iat_or_exp_is_invalid() -> None:
    token = jwt.encode({"appKey": SDK_KEY, "mn": NUMBER, "role": 0}, SDK_SECRET, algorithm="HS256")
    assert refusal(token) == errors.SIGNATURE_INVALID


def test_codes_match_the_installed_sdk_strings() -> None:
    """The reasons are the en-US texts of the package's i18n keys the bundle maps these codes to."""
    from tests.fakes_zoom.package import en_us

    strings = en_us()
    assert strings["apac.errorcodes_pac_invalid_signature"] == errors.SIGNATURE_INVALID.reason
    assert strings["apac.errorcodes_pac_signature_expired"] == errors.SIGNATURE_EXPIRED.reason
    assert strings["apac.errorcodes_pac_mn_wrong"] == errors.MEETING_NUMBER_WRONG.reason
    assert strings["apac.errorcodes_pac_role_error"] == errors.ROLE_WRONG.reason
    assert strings["apac.errorcodes_pac_api_wrong"] == errors.API_KEY_WRONG.reason
    assert strings["apac.errorcodes_not_exist"] == errors.MEETING_NOT_EXIST.reason
    assert strings["apac.errorcodes_wrong_pass"] == errors.WRONG_PASSCODE.reason
    assert strings["apac.errorcodes_not_start"] == errors.MEETING_NOT_STARTED.reason
    assert strings["apac.preview.bot_detected_join_blocked_desc"] == errors.BOT_DETECTED.reason
