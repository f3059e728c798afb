"""The Meeting SDK JWT ("signature") a bot joins with, signed on the server with the SDK secret.

Claims as Zoom's sample and the 6.x SDK expect: appKey and sdkKey, mn, role 0, iat back-dated 30 s for clock
skew, exp two hours later (Zoom accepts 30 min .. 48 h), tokenExp equal to exp.
"""

from __future__ import annotations

import time

import jwt

BACKDATE_SECONDS = 30
LIFETIME_SECONDS = 2 * 60 * 60


def meeting_signature(
    *, sdk_key: str, sdk_secret: str, meeting_number: str, role: int = 0, now: float | None = None
) -> str:
    issued = int(now if now is not None else time.time()) - BACKDATE_SECONDS
    expires = issued + LIFETIME_SECONDS
    payload = {
        "appKey": sdk_key,
        "sdkKey": sdk_key,
        "mn": str(meeting_number),
        "role": role,
        "iat": issued,
        "exp": expires,
        "tokenExp": expires,
        "video_webrtc_mode": 1,
    }
    return jwt.encode(payload, sdk_secret, algorithm="HS256")
