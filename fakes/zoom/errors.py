"""Zoom's join refusals and operation failures, with the codes and strings of @zoom/meetingsdk 6.2.0.

Where each value comes from (all read from the installed package):
* Web-API join errors: the embedded bundle maps the server's error to an i18n key and a code (table `tP`)
  and the reason is that key's en-US text (dist/lib/lang/en-US.json), e.g. 200/"The signature has
  expired." -> errorCode 3705, reason "The signature has expired.".
* Meeting-server (RWG) join errors: table `nP` of the bundle, whose reasons are raw strings, e.g.
  13295 -> errorCode 4013, reason "no obfToken".
* `Closed` reasons: the bundle's conference-end mapping (reason enum `Kj`).
* Operation failures: the bundle's `{type, reason, errorCode}` rejections (error codes enum `Ol`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JoinRefusal(Exception):
    """A join refused by the service: what `connection-change` {state: 'Fail'} carries."""

    error_code: int
    reason: str

    def payload(self) -> dict[str, Any]:
        return {"errorCode": self.error_code, "reason": self.reason}


# Web-API path (signature and meeting lookup).
SIGNATURE_INVALID = JoinRefusal(3712, "Signature is invalid.")
SIGNATURE_EXPIRED = JoinRefusal(3705, "The signature has expired.")
API_KEY_WRONG = JoinRefusal(3704, "The accounts API Key is not valid.")
MEETING_NUMBER_WRONG = JoinRefusal(3706, "The meeting number is wrong.")
ROLE_WRONG = JoinRefusal(3708, "Incorrect role.")
MEETING_NOT_EXIST = JoinRefusal(3610, "Meeting does not exist.")
WRONG_PASSCODE = JoinRefusal(3004, "Meeting Passcode wrong.")
MEETING_NOT_STARTED = JoinRefusal(3008, "Meeting has not started")
ZAK_ERROR = JoinRefusal(3623, "Token error")
# The bot-detection refusal exists only as text in the package (en-US.json
# `apac.preview.bot_detected_join_blocked_desc`); no code ships with it, so the fake uses the bundle's
# generic web-API code 200 (`CommonError`).
BOT_DETECTED = JoinRefusal(
    200,
    "We detected you may be a bot. Automated bots aren't allowed to join this meeting or webinar "
    "and must use Zoom RTMS.",
)

# Web-API refusals whose reasons are the en-US texts the bundle compiles in (its `apac.errorcodes_*` table) and
# whose codes are those its mapping gives them.
SDK_OUTDATED = JoinRefusal(
    10000, "The current sdk version is no longer supported, please upgrade to the latest version."
)  # Upgrade
RECAPTCHA_REQUIRED = JoinRefusal(3634, "You be limit by zoom, need to check recaptcha.")  # FrequentJoin
LOGIN_REQUIRED = JoinRefusal(3100, "Require login")  # LoginRequired
LOGIN_REQUIRED_SSO = JoinRefusal(3082, "Require login")  # web 3501/3502 -> 3082
USER_REMOVED_WEB = JoinRefusal(3009, "Be removed.")  # UserHasBeenRemoved
API_KEY_DEACTIVATED = JoinRefusal(3710, "The accounts API Key is deactivated.")  # an admin blocked the app

# Meeting-server path.
CROSS_ACCOUNT = JoinRefusal(4011, "cross account join error")
ANONYMOUS_JOIN = JoinRefusal(4012, "anonymous join error")
NO_OBF_TOKEN = JoinRefusal(4013, "no obfToken")
OBF_INVALID = JoinRefusal(4014, "obfToken is invalid")
OBF_OTHER_MEETING = JoinRefusal(4015, "obfToken does not match the meeting number")
RECORDING_TOKEN_EXPIRED = JoinRefusal(4016, "recording token expired")
AUTHORIZER_ABSENT = JoinRefusal(4017, "authorized user not in meeting")
CREDENTIALS_CONFLICT = JoinRefusal(4018, "conflict with login credentials")
MEETING_ENDED = JoinRefusal(4004, "meeting ended")
MEETING_FULL = JoinRefusal(4005, "meeting is at capacity")
MEETING_LOCKED = JoinRefusal(4006, "meeting locked")
INFORMATION_BARRIER = JoinRefusal(4007, "reject for information barriers")
PARTICIPANT_EXISTS = JoinRefusal(4008, "participant exist")

ALL_REFUSALS: tuple[JoinRefusal, ...] = (
    SIGNATURE_INVALID,
    SIGNATURE_EXPIRED,
    API_KEY_WRONG,
    MEETING_NUMBER_WRONG,
    ROLE_WRONG,
    MEETING_NOT_EXIST,
    WRONG_PASSCODE,
    MEETING_NOT_STARTED,
    ZAK_ERROR,
    BOT_DETECTED,
    CROSS_ACCOUNT,
    ANONYMOUS_JOIN,
    NO_OBF_TOKEN,
    OBF_INVALID,
    OBF_OTHER_MEETING,
    RECORDING_TOKEN_EXPIRED,
    AUTHORIZER_ABSENT,
    CREDENTIALS_CONFLICT,
    MEETING_ENDED,
    MEETING_FULL,
    MEETING_LOCKED,
    SDK_OUTDATED,
    RECAPTCHA_REQUIRED,
    LOGIN_REQUIRED,
    LOGIN_REQUIRED_SSO,
    USER_REMOVED_WEB,
    API_KEY_DEACTIVATED,
    INFORMATION_BARRIER,
    PARTICIPANT_EXISTS,
)


def refusal_for_code(error_code: int) -> JoinRefusal:
    """The refusal with that errorCode (for the host control that forces a refusal)."""
    for refusal in ALL_REFUSALS:
        if refusal.error_code == error_code:
            return refusal
    raise KeyError(error_code)


# `connection-change` {state: 'Closed'} reasons.
CLOSED_KICKED = "kicked by host"
CLOSED_ENDED = "ended by host"
CLOSED_DUPLICATED = "duplicated session"
CLOSED_USER_REQUEST = "user request"
CLOSED_MASTER_LEFT = "bot user kicked due to master leaving"

# `connection-change` {state: 'Reconnecting'} reasons.
RECONNECT_ON_HOLD = "on hold"
RECONNECT_FAILOVER = "failover"
RECONNECT_JOIN_BO = "join breakout room"
RECONNECT_MOVE_BO = "move to breakout room"
RECONNECT_BACK_TO_MAIN = "back to main session"


@dataclass(frozen=True)
class OperationFailure(Exception):
    """An ExecutedFailure: what a client method's promise rejects with."""

    type: str
    reason: str
    error_code: int

    def payload(self) -> dict[str, Any]:
        return {"type": self.type, "reason": self.reason, "errorCode": self.error_code}


BO_NOT_STARTED = OperationFailure("INVALID_OPERATION", "Breakout room is not started", 7504)
BO_NO_HOST = OperationFailure("INVALID_OPERATION", "No host in the meeting, cannot join the room", 7504)
BO_ROOM_ID_WRONG = OperationFailure("INVALID_PARAMETERS", "Room ID is not correct", 7502)
BO_NOT_IN_ROOM = OperationFailure("INVALID_OPERATION", "you are not in breakout room", 7504)
BO_EXIT_RESTRICTED = OperationFailure(
    "INSUFFICIENT_PRIVILEGES", "Can not return main session during the breakout room", 7505
)
HOST_ONLY = OperationFailure("INSUFFICIENT_PRIVILEGES", "only host can do the operation", 5007)
HOST_OR_COHOST_ONLY = OperationFailure("INSUFFICIENT_PRIVILEGES", "only host or co-host can do the operation", 5006)
USER_NOT_FOUND = OperationFailure("INVALID_PARAMETERS", "no matching user", 5011)
STATE_CLOSED = OperationFailure("IMPROPER_MEETING_STATE", "closed", 5002)
STATE_ON_HOLD = OperationFailure("IMPROPER_MEETING_STATE", "on hold", 5004)
