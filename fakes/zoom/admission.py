"""The join checks, in Zoom's order: signature, meeting, passcode, host/start, bot gating, account rules, OBF."""

from __future__ import annotations

from dataclasses import dataclass

from fakes.zoom import errors
from fakes.zoom.config import APP_ACCOUNT_ID, FakeZoomConfig
from fakes.zoom.credentials import CredentialStore, Kind, UserDirectory
from fakes.zoom.meetings import Meeting, MeetingDirectory
from fakes.zoom.participants import Participant
from fakes.zoom.signature import verify_signature


@dataclass(frozen=True)
class JoinRequest:
    """What the SDK stand-in sends for `join()`, plus what the page reveals about automation."""

    meeting_number: str
    user_name: str
    signature: str
    password: str = ""
    user_email: str = ""
    customer_key: str = ""
    zak: str = ""
    obf_token: str = ""
    recording_token: str = ""
    # navigator.webdriver is true, or the user agent says HeadlessChrome.
    automated: bool = False


def admit(
    request: JoinRequest,
    *,
    config: FakeZoomConfig,
    meetings: MeetingDirectory,
    credentials: CredentialStore,
    users: UserDirectory,
) -> tuple[Meeting, Participant]:
    """The meeting and the (not yet added) participant for an accepted join; raises JoinRefusal otherwise."""
    signature = verify_signature(
        request.signature,
        sdk_key=config.sdk_key,
        sdk_secret=config.sdk_secret,
        meeting_number=request.meeting_number,
    )
    meeting = meetings.get(request.meeting_number)
    if meeting is None:
        raise errors.MEETING_NOT_EXIST
    if meeting.settings.passcode and request.password != meeting.settings.passcode:
        raise errors.WRONG_PASSCODE

    zak_user = None
    if request.zak:
        zak = credentials.valid(Kind.ZAK, request.zak)
        zak_user = users.find(zak.user_id) if zak is not None else None
        if zak_user is None:
            raise errors.ZAK_ERROR
    starts_as_host = signature.role == 1
    if starts_as_host and (zak_user is None or zak_user.user_id != meeting.host_user_id):
        raise errors.ZAK_ERROR
    if not meeting.started and not starts_as_host and not meeting.settings.join_before_host:
        raise errors.MEETING_NOT_STARTED

    if meeting.settings.block_bots and (request.automated or request.obf_token):
        raise errors.BOT_DETECTED
    if meeting.settings.force_join_error is not None:
        raise errors.refusal_for_code(meeting.settings.force_join_error)
    if request.recording_token:
        # The fake never issues local-recording tokens.
        raise errors.RECORDING_TOKEN_EXPIRED
    if zak_user is not None and request.user_email and request.user_email.lower() != zak_user.email.lower():
        raise errors.CREDENTIALS_CONFLICT

    external = meeting.account_id != APP_ACCOUNT_ID
    if external and not config.app_published:
        raise errors.CROSS_ACCOUNT
    authorizer = None
    obf = None
    if request.obf_token:
        obf = credentials.valid(Kind.OBF, request.obf_token)
        authorizer = users.find(obf.user_id) if obf is not None else None
        if obf is None or authorizer is None:
            raise errors.OBF_INVALID
        if obf.meeting_number is not None and obf.meeting_number != meeting.number:
            raise errors.OBF_OTHER_MEETING
        if not meeting.user_present(authorizer.user_id):
            # Zoom e-mails the meeting's host about each such refused join.
            meeting.email_host(
                about=request.user_name,
                text=f"{request.user_name} tried to join on behalf of {authorizer.display_name}, who is not in it.",
            )
            raise errors.AUTHORIZER_ABSENT
    elif zak_user is None:
        if external:
            raise errors.NO_OBF_TOKEN
        if meeting.settings.authenticated_only:
            raise errors.ANONYMOUS_JOIN

    if obf is not None:
        # OBF tokens are single-meeting: the first join binds an unbound token.
        obf.meeting_number = meeting.number
    if not meeting.started:
        meeting.start()
    is_host = starts_as_host
    participant = Participant(
        user_id=0,
        name=request.user_name,
        email=request.user_email,
        zoom_user_id=zak_user.user_id if zak_user is not None else None,
        authorized_by=authorizer.user_id if authorizer is not None else None,
        authorizer_name=authorizer.display_name if authorizer is not None else "",
        is_host=is_host,
        on_hold=meeting.settings.waiting_room and not is_host,
        customer_key=request.customer_key,
        sdk_client=not signature.zoom_client,
    )
    return meeting, participant
