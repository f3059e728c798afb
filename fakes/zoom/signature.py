"""Checks a Meeting SDK JWT the way Zoom's join web API does, refusing with Zoom's codes and reasons."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, TypeGuard

import jwt

from fakes.zoom import errors

MIN_LIFETIME_S = 1800
MAX_LIFETIME_S = 48 * 3600
# Tolerated clock skew for an `iat` slightly in the future.
IAT_SKEW_S = 60


ZOOM_CLIENT_CLAIM = "fake_zoom_client"


@dataclass(frozen=True)
class MeetingSignature:
    """The claims that matter once a signature is valid."""

    app_key: str
    meeting_number: str
    role: int
    issued_at: int
    expires_at: int
    # Minted by this service for its own participant page, which stands in for Zoom's own client (whose joins
    # are not Meeting SDK joins): pre-assigned breakout rooms apply to it, never to SDK participants.
    zoom_client: bool = False


def verify_signature(
    token: str, *, sdk_key: str, sdk_secret: str, meeting_number: str, now: float | None = None
) -> MeetingSignature:
    """Return the signature's claims, or raise the JoinRefusal Zoom answers for it.

    Order of checks: HMAC and format, app key, expiry, lifetime window (exp - iat in 1800 s .. 48 h),
    meeting number, role.
    """
    now = time.time() if now is None else now
    try:
        header = jwt.get_unverified_header(token)
        with warnings.catch_warnings():
            # Zoom's secrets are 32 characters; the simulated defaults are shorter, which is fine here.
            warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
            claims: dict[str, Any] = jwt.decode(
                token,
                sdk_secret,
                algorithms=["HS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
    except jwt.PyJWTError:
        raise errors.SIGNATURE_INVALID from None
    if header.get("alg") != "HS256":
        raise errors.SIGNATURE_INVALID
    app_key = claims.get("appKey") or claims.get("sdkKey")
    if not isinstance(app_key, str) or app_key != sdk_key:
        raise errors.API_KEY_WRONG
    issued_at, expires_at = claims.get("iat"), claims.get("exp")
    if not _is_number(issued_at) or not _is_number(expires_at):
        raise errors.SIGNATURE_INVALID
    return _check_times(claims, app_key, float(issued_at), float(expires_at), now, meeting_number)


def _check_times(
    claims: dict[str, Any], app_key: str, issued_at: float, expires_at: float, now: float, meeting_number: str
) -> MeetingSignature:
    if expires_at <= now:
        raise errors.SIGNATURE_EXPIRED
    lifetime = expires_at - issued_at
    if issued_at > now + IAT_SKEW_S or not MIN_LIFETIME_S <= lifetime <= MAX_LIFETIME_S:
        raise errors.SIGNATURE_INVALID
    mn = claims.get("mn")
    if mn is None or _normalize_number(mn) != _normalize_number(meeting_number):
        raise errors.MEETING_NUMBER_WRONG
    role = claims.get("role")
    if isinstance(role, str) and role.strip().isdigit():
        role = int(role)
    if role not in (0, 1) or isinstance(role, bool):
        raise errors.ROLE_WRONG
    return MeetingSignature(
        app_key=app_key,
        meeting_number=_normalize_number(mn),
        role=int(role),
        issued_at=int(issued_at),
        expires_at=int(expires_at),
        zoom_client=claims.get(ZOOM_CLIENT_CLAIM) is True,
    )


def mint_signature(
    *,
    sdk_key: str,
    sdk_secret: str,
    meeting_number: str,
    role: int = 0,
    lifetime_s: int = 7200,
    zoom_client: bool = False,
) -> str:
    """A signature like Zoom's official sample makes (used by the service's own participant page, which marks
    itself as Zoom's own client with `zoom_client`)."""
    iat = int(time.time()) - 30
    exp = iat + lifetime_s
    payload = {
        "appKey": sdk_key,
        "sdkKey": sdk_key,
        "mn": meeting_number,
        "role": role,
        "iat": iat,
        "exp": exp,
        "tokenExp": exp,
        "video_webrtc_mode": 1,
    }
    if zoom_client:
        payload[ZOOM_CLIENT_CLAIM] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(payload, sdk_secret, algorithm="HS256")


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _normalize_number(value: object) -> str:
    return str(value).replace(" ", "").strip()
