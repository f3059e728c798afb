"""Host controls under /fake (Bearer admin token): meetings, virtual participants, waiting room, breakout, chat,
roster."""

from __future__ import annotations

import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from fakes.zoom import errors
from fakes.zoom.breakout import BreakoutRoom
from fakes.zoom.chat import EVERYONE, send_chat
from fakes.zoom.chat import MAX_LENGTH as MAX_CHAT_LENGTH
from fakes.zoom.config import APP_ACCOUNT_ID, EXTERNAL_ACCOUNT_ID, SimUser
from fakes.zoom.meetings import Meeting, MeetingExists, MeetingSettings
from fakes.zoom.participants import Participant
from fakes.zoom.roster import meeting_view, roster_view
from fakes.zoom.service import FakeZoomService, get_service


def require_admin(
    service: Annotated[FakeZoomService, Depends(get_service)],
    authorization: Annotated[str | None, Header()] = None,
) -> FakeZoomService:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), service.config.admin_token.encode()):
        raise HTTPException(401, "admin token required (Authorization: Bearer <token>)")
    return service


Service = Annotated[FakeZoomService, Depends(require_admin)]
router = APIRouter(prefix="/fake")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BreakoutOptionsBody(_Body):
    isAutoJoinRoom: bool | None = None
    isBackToMainSessionEnabled: bool | None = None
    isTimerEnabled: bool | None = None
    timerDuration: int | None = None
    isTimerAutoEnabled: bool | None = None
    waitSeconds: int | None = None
    isRoomSelectionEnabled: bool | None = None

    def values(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class CreateMeetingBody(_Body):
    number: str | None = None
    topic: str = "avatarfarm simulated meeting"
    passcode: str = ""
    waiting_room: bool = False
    # True: the meeting belongs to another Zoom account than the SDK app's (OBF or ZAK needed to join).
    external_account: bool = False
    # Owner (host) of the meeting, by user id or email; decides the account when given.
    host_user: str | None = None
    started: bool = True
    join_before_host: bool = True
    block_bots: bool = False
    authenticated_only: bool = False
    force_join_error: int | None = None
    audio_playback: Literal["split", "webaudio", "element", "silent"] = "split"
    mute_on_entry: bool = False
    computer_audio_fails: bool = False
    breakout_getters_gap_ms: int = Field(default=0, ge=0, le=10_000)
    webinar: bool = False
    breakout_rooms: list[str] = Field(default_factory=list)
    breakout_options: BreakoutOptionsBody = Field(default_factory=BreakoutOptionsBody)


class UpdateMeetingBody(_Body):
    topic: str | None = None
    passcode: str | None = None
    waiting_room: bool | None = None
    join_before_host: bool | None = None
    block_bots: bool | None = None
    authenticated_only: bool | None = None
    force_join_error: int | None = None
    audio_playback: Literal["split", "webaudio", "element", "silent"] | None = None
    mute_on_entry: bool | None = None
    computer_audio_fails: bool | None = None
    breakout_getters_gap_ms: int | None = Field(default=None, ge=0, le=10_000)
    webinar: bool | None = None
    breakout_options: BreakoutOptionsBody | None = None


class VirtualParticipantBody(_Body):
    name: str = Field(min_length=1)
    host: bool = False
    cohost: bool = False
    email: str = ""
    # The Zoom user this participant is (e.g. the professor who authorized OBF bots).
    zoom_user_id: str | None = None


class WhoBody(_Body):
    user_id: int | None = None
    name: str | None = None


class RoomTargetBody(WhoBody):
    room: str
    email: str | None = None


class OpenBreakoutBody(_Body):
    options: BreakoutOptionsBody = Field(default_factory=BreakoutOptionsBody)


class MuteBody(WhoBody):
    mute: bool = True


class RecordingBody(_Body):
    status: Literal["Recording", "Paused", "Stopped"]


class BroadcastBody(_Body):
    message: str = Field(min_length=1, max_length=1000)


class ChatBody(WhoBody):
    """A participant (a virtual one, or anyone) writes in the meeting's chat."""

    message: str = Field(min_length=1, max_length=MAX_CHAT_LENGTH)
    to_user_id: int = EVERYONE


class CloseBreakoutBody(_Body):
    wait_seconds: float | None = None


class SlowCreationBody(_Body):
    seconds: float = Field(gt=0, le=300)
    times: int = Field(default=1, ge=1, le=100)


class CreateUserBody(_Body):
    email: str
    first_name: str = "Sim"
    last_name: str = "User"
    user_id: str | None = None
    external_account: bool = True


def _meeting(service: FakeZoomService, number: str) -> Meeting:
    meeting = service.meetings.get(number)
    if meeting is None:
        raise HTTPException(404, f"meeting {number} does not exist")
    return meeting


def _who(meeting: Meeting, body: WhoBody) -> Participant:
    p = meeting.find(body.user_id) if body.user_id is not None else None
    if p is None and body.name:
        p = meeting.find_by_name(body.name)
    if p is None:
        raise HTTPException(404, "no such participant in this meeting")
    return p


def _room(meeting: Meeting, id_or_name: str) -> BreakoutRoom:
    room = meeting.breakout.find(id_or_name)
    if room is None:
        raise HTTPException(404, f"no breakout room {id_or_name!r}")
    return room


def _conflict(failure: errors.OperationFailure) -> HTTPException:
    return HTTPException(409, failure.reason or failure.type)


@router.post("/meetings", status_code=201)
async def create_meeting(body: CreateMeetingBody, service: Service) -> dict[str, Any]:
    if body.host_user:
        host = service.users.find(body.host_user)
        if host is None:
            raise HTTPException(404, f"no user {body.host_user!r}")
    else:
        wanted = EXTERNAL_ACCOUNT_ID if body.external_account else APP_ACCOUNT_ID
        host = next((u for u in service.users.all() if u.account_id == wanted), None)
        if host is None:
            raise HTTPException(409, f"no user in account {wanted}")
    if body.force_join_error is not None:
        _check_code(body.force_join_error)
    settings = MeetingSettings(
        topic=body.topic,
        passcode=body.passcode,
        waiting_room=body.waiting_room,
        join_before_host=body.join_before_host,
        block_bots=body.block_bots,
        authenticated_only=body.authenticated_only,
        force_join_error=body.force_join_error,
        audio_playback=body.audio_playback,
        mute_on_entry=body.mute_on_entry,
        computer_audio_fails=body.computer_audio_fails,
        breakout_getters_gap_ms=body.breakout_getters_gap_ms,
        webinar=body.webinar,
    )
    try:
        meeting = service.meetings.create(
            account_id=host.account_id,
            host_user_id=host.user_id,
            number=body.number,
            settings=settings,
            rooms=body.breakout_rooms,
            room_options=body.breakout_options.values(),
            started=body.started,
        )
    except MeetingExists as exc:
        raise HTTPException(409, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return meeting_view(meeting)


def _check_code(code: int) -> None:
    try:
        errors.refusal_for_code(code)
    except KeyError:
        known = sorted({r.error_code for r in errors.ALL_REFUSALS})
        raise HTTPException(422, f"force_join_error must be one of {known}") from None


@router.get("/meetings")
async def list_meetings(service: Service) -> list[dict[str, Any]]:
    return [meeting_view(m) for m in service.meetings.all()]


@router.get("/meetings/{number}")
async def get_meeting(number: str, service: Service) -> dict[str, Any]:
    return meeting_view(_meeting(service, number))


@router.patch("/meetings/{number}")
async def update_meeting(number: str, body: UpdateMeetingBody, service: Service) -> dict[str, Any]:
    meeting = _meeting(service, number)
    # null clears force_join_error; for the other settings it means "unchanged".
    values = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k == "force_join_error"}
    options = values.pop("breakout_options", None)
    if values.get("force_join_error") is not None:
        _check_code(values["force_join_error"])
    meeting.settings.update(values)
    if options:
        meeting.breakout.options.update({k: v for k, v in options.items() if v is not None})
    meeting.publish()
    return meeting_view(meeting)


@router.delete("/meetings/{number}", status_code=204)
async def delete_meeting(number: str, service: Service) -> None:
    if service.meetings.delete(number) is None:
        raise HTTPException(404, f"meeting {number} does not exist")


@router.post("/meetings/{number}/start")
async def start_meeting(number: str, service: Service) -> dict[str, Any]:
    meeting = _meeting(service, number)
    meeting.start()
    return meeting_view(meeting)


@router.post("/meetings/{number}/end")
async def end_meeting(number: str, service: Service) -> dict[str, Any]:
    meeting = _meeting(service, number)
    meeting.end()
    return meeting_view(meeting)


@router.post("/meetings/{number}/participants", status_code=201)
async def add_virtual_participant(number: str, body: VirtualParticipantBody, service: Service) -> dict[str, Any]:
    meeting = _meeting(service, number)
    if body.zoom_user_id is not None and service.users.find(body.zoom_user_id) is None:
        raise HTTPException(404, f"no user {body.zoom_user_id!r}")
    user = service.users.find(body.zoom_user_id)
    p = Participant(
        user_id=0,
        name=body.name,
        email=body.email or (user.email if user else ""),
        zoom_user_id=user.user_id if user else None,
        is_host=body.host,
        is_cohost=body.cohost,
        on_hold=meeting.settings.waiting_room and not (body.host or body.cohost),
        audio="computer",
        muted=True,
    )
    if body.host and not meeting.started:
        meeting.start()
    meeting.add(p)
    return {"user_id": p.user_id, "name": p.name, "on_hold": p.on_hold, "is_host": p.is_host}


@router.delete("/meetings/{number}/participants/{user_id}", status_code=204)
async def remove_participant(number: str, user_id: int, service: Service) -> None:
    """The participant leaves (as when they close Zoom); its client, if any, sees `Closed` 'user request'."""
    meeting = _meeting(service, number)
    p = _who(meeting, WhoBody(user_id=user_id))
    meeting.remove(p, errors.CLOSED_USER_REQUEST)


@router.post("/meetings/{number}/admit")
async def admit_participant(number: str, body: WhoBody, service: Service) -> dict[str, Any]:
    meeting = _meeting(service, number)
    if body.user_id is None and body.name is None:
        for p in [q for q in meeting.participants.values() if q.on_hold]:
            meeting.admit(p)
    else:
        meeting.admit(_who(meeting, body))
    return roster_view(meeting)


@router.post("/meetings/{number}/hold")
async def hold_participant(number: str, body: WhoBody, service: Service) -> dict[str, Any]:
    """Send a participant back to the waiting room."""
    meeting = _meeting(service, number)
    meeting.put_on_hold(_who(meeting, body))
    return roster_view(meeting)


@router.post("/meetings/{number}/kick")
async def kick_participant(number: str, body: WhoBody, service: Service) -> dict[str, Any]:
    meeting = _meeting(service, number)
    meeting.remove(_who(meeting, body), errors.CLOSED_KICKED)
    return roster_view(meeting)


@router.post("/meetings/{number}/mute")
async def mute_participant(number: str, body: MuteBody, service: Service) -> dict[str, Any]:
    """The host mutes (or asks to unmute) a participant: its client gets the SDK's remote mute."""
    meeting = _meeting(service, number)
    target = _who(meeting, body)
    if target.virtual:
        meeting.update_media_state(target, audio=target.audio, muted=body.mute, video=target.video)
    else:
        target.send({"op": "remote-mute", "mute": body.mute})
    return roster_view(meeting)


@router.post("/meetings/{number}/recording")
async def set_recording(number: str, body: RecordingBody, service: Service) -> dict[str, Any]:
    """The host starts ("Recording"), pauses or stops cloud recording."""
    meeting = _meeting(service, number)
    meeting.set_recording(body.status)
    return roster_view(meeting)


@router.post("/meetings/{number}/breakout/broadcast")
async def broadcast_message(number: str, body: BroadcastBody, service: Service) -> dict[str, Any]:
    meeting = _meeting(service, number)
    meeting.broadcast(body.message)
    return roster_view(meeting)


@router.post("/meetings/{number}/chat")
async def write_in_chat(number: str, body: ChatBody, service: Service) -> dict[str, Any]:
    """`user_id`/`name` writes `message` to everyone in their conference, or to `to_user_id` there; answers what
    the sender's `sendChat` resolves to."""
    meeting = _meeting(service, number)
    try:
        return send_chat(meeting, _who(meeting, body), body.message, body.to_user_id)
    except errors.OperationFailure as failure:
        raise _conflict(failure) from None


@router.get("/meetings/{number}/chat")
async def chat_log(number: str, service: Service) -> list[dict[str, Any]]:
    """Every chat message of the meeting, oldest first, as `chat-on-message` carried it."""
    return list(_meeting(service, number).chat_log)


@router.post("/meetings/{number}/breakout/open")
async def open_breakout(number: str, body: OpenBreakoutBody, service: Service) -> dict[str, Any]:
    meeting = _meeting(service, number)
    try:
        meeting.open_breakout(body.options.values())
    except errors.OperationFailure as failure:
        raise _conflict(failure) from None
    return roster_view(meeting)


@router.post("/meetings/{number}/breakout/close")
async def close_breakout(number: str, body: CloseBreakoutBody, service: Service) -> dict[str, Any]:
    meeting = _meeting(service, number)
    try:
        meeting.close_breakout(body.wait_seconds)
    except errors.OperationFailure as failure:
        raise _conflict(failure) from None
    return roster_view(meeting)


@router.post("/meetings/{number}/breakout/assign")
async def assign_participant(number: str, body: RoomTargetBody, service: Service) -> dict[str, Any]:
    """Assign a participant to a room (an invitation, or a move when rooms auto-join).

    With `name` or `email` of someone not (yet) in the meeting, the assignment waits for them to join; as in
    Zoom it applies to Zoom's own clients only (the participant page, virtual participants), never to SDK
    participants such as bots.
    """
    meeting = _meeting(service, number)
    room = _room(meeting, body.room)
    p = meeting.find(body.user_id) if body.user_id is not None else None
    if p is None and body.name:
        p = meeting.find_by_name(body.name)
    if p is None:
        key = body.email or body.name
        if not key:
            raise HTTPException(404, "no such participant in this meeting")
        meeting.preassign(key, room)
    else:
        meeting.assign(p, room)
    return roster_view(meeting)


@router.post("/meetings/{number}/breakout/move")
async def move_participant(number: str, body: RoomTargetBody, service: Service) -> dict[str, Any]:
    meeting = _meeting(service, number)
    room = _room(meeting, body.room)
    try:
        meeting.move(_who(meeting, body), room)
    except errors.OperationFailure as failure:
        raise _conflict(failure) from None
    return roster_view(meeting)


@router.get("/meetings/{number}/roster")
async def roster(number: str, service: Service) -> dict[str, Any]:
    return roster_view(_meeting(service, number))


@router.post("/users", status_code=201)
async def create_user(body: CreateUserBody, service: Service) -> dict[str, Any]:
    user = SimUser(
        user_id=body.user_id or "sim-" + body.email.split("@")[0].lower(),
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        account_id=EXTERNAL_ACCOUNT_ID if body.external_account else APP_ACCOUNT_ID,
    )
    try:
        service.users.add(user)
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None
    return {"id": user.user_id, "email": user.email, "account_id": user.account_id}


@router.post("/faults/slow-meeting-creation", status_code=204)
async def slow_meeting_creation(body: SlowCreationBody, service: Service) -> None:
    """The next `times` REST meeting creations (POST /v2/users/{id}/meetings) each wait `seconds` first."""
    service.meeting_creation_delays.extend([body.seconds] * body.times)
