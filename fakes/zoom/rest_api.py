"""Zoom REST API stand-in (/v2): the OAuth user, user tokens (OBF, ZAK), meetings with breakout rooms."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Header, Request
from fastapi.responses import JSONResponse, Response

from fakes.zoom.config import SimUser
from fakes.zoom.credentials import Kind
from fakes.zoom.meetings import Meeting, MeetingSettings
from fakes.zoom.service import FakeZoomService, get_service

OBF_DEFAULT_TTL_S = 7200
OBF_MAX_TTL_S = 365 * 24 * 3600
ZAK_DEFAULT_TTL_S = 7200
ZAK_MAX_TTL_S = 90 * 24 * 3600

router = APIRouter(prefix="/v2")


class ZoomApiError(Exception):
    """An error answered in Zoom's shape: {"code": N, "message": "..."}."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        return JSONResponse({"code": self.code, "message": self.message}, status_code=self.status)


def current_user(
    service: Annotated[FakeZoomService, Depends(get_service)],
    authorization: Annotated[str | None, Header()] = None,
) -> SimUser:
    scheme, _, value = (authorization or "").partition(" ")
    credential = service.credentials.find(Kind.ACCESS, value) if scheme.lower() == "bearer" else None
    if credential is None:
        raise ZoomApiError(401, 124, "Invalid access token.")
    if credential.expired:
        raise ZoomApiError(401, 124, "Access token is expired.")
    user = service.users.find(credential.user_id)
    if user is None:
        raise ZoomApiError(401, 124, "Invalid access token.")
    return user


Service = Annotated[FakeZoomService, Depends(get_service)]
User = Annotated[SimUser, Depends(current_user)]


def _same_user(user: SimUser, user_id: str) -> None:
    if user_id != "me" and user_id.lower() not in (user.user_id.lower(), user.email.lower()):
        raise ZoomApiError(404, 1001, f"User does not exist: {user_id}.")


def _user_view(user: SimUser) -> dict[str, Any]:
    return {
        "id": user.user_id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": user.display_name,
        "email": user.email,
        "type": 2,
        "account_id": user.account_id,
        "status": "active",
    }


@router.get("/users/{user_id}")
async def get_user(user_id: str, user: User) -> dict[str, Any]:
    _same_user(user, user_id)
    return _user_view(user)


@router.get("/users/{user_id}/token")
async def get_user_token(
    user_id: str,
    user: User,
    service: Service,
    type: str = "token",
    ttl: int | None = None,
    meeting_id: str | None = None,
) -> dict[str, str]:
    """type=onbehalf: an OBF token of this user (2 h by default, ttl up to a year), bound to meeting_id when
    given, else to the first meeting it joins. type=zak (or token): a ZAK of this user."""
    _same_user(user, user_id)
    if type == "onbehalf":
        if ttl is not None and not 1 <= ttl <= OBF_MAX_TTL_S:
            raise ZoomApiError(400, 300, f"Invalid ttl: must be between 1 and {OBF_MAX_TTL_S}.")
        if meeting_id is not None and service.meetings.get(meeting_id) is None:
            raise ZoomApiError(404, 3001, f"Meeting does not exist: {meeting_id}.")
        credential = service.credentials.issue(
            Kind.OBF,
            user.user_id,
            ttl or OBF_DEFAULT_TTL_S,
            meeting_number=meeting_id.replace(" ", "") if meeting_id else None,
        )
        return {"token": credential.value}
    if type in ("zak", "token"):
        if ttl is not None and not 1 <= ttl <= ZAK_MAX_TTL_S:
            raise ZoomApiError(400, 300, f"Invalid ttl: must be between 1 and {ZAK_MAX_TTL_S}.")
        credential = service.credentials.issue(Kind.ZAK, user.user_id, ttl or ZAK_DEFAULT_TTL_S)
        return {"token": credential.value}
    raise ZoomApiError(400, 300, f"Invalid token type: {type}.")


# The presence statuses Zoom's "Get a user's presence status" answers (those this fake uses).
PRESENCE_IN_MEETING = "In_A_Zoom_Meeting"
PRESENCE_AVAILABLE = "Available"


@router.get("/users/{user_id}/presence_status")
async def get_presence_status(user_id: str, user: User, service: Service) -> dict[str, str]:
    """In_A_Zoom_Meeting while the user is in any meeting (the waiting room does not count), else Available."""
    _same_user(user, user_id)
    present = any(meeting.user_present(user.user_id) for meeting in service.meetings.all())
    return {"status": PRESENCE_IN_MEETING if present else PRESENCE_AVAILABLE}


@router.post("/users/{user_id}/meetings", status_code=201)
async def create_meeting(
    user_id: str,
    request: Request,
    user: User,
    service: Service,
    body: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    _same_user(user, user_id)
    if service.meeting_creation_delays:
        await asyncio.sleep(service.meeting_creation_delays.pop(0))
    settings_in = body.get("settings") or {}
    if not isinstance(settings_in, dict):
        raise ZoomApiError(400, 300, "Invalid field: settings.")
    breakout_in = settings_in.get("breakout_room") or {}
    rooms_in = (breakout_in.get("rooms") or []) if isinstance(breakout_in, dict) else []
    if not isinstance(rooms_in, list) or not all(isinstance(r, dict) and r.get("name") for r in rooms_in):
        raise ZoomApiError(400, 300, "Invalid field: settings.breakout_room.rooms.")
    settings = MeetingSettings(
        topic=str(body.get("topic") or "Zoom Meeting"),
        passcode=str(body.get("password") or ""),
        waiting_room=bool(settings_in.get("waiting_room", False)),
        join_before_host=bool(settings_in.get("join_before_host", False)),
    )
    meeting = service.meetings.create(
        account_id=user.account_id,
        host_user_id=user.user_id,
        settings=settings,
        rooms=[str(r["name"]) for r in rooms_in],
    )
    for room_in in rooms_in:
        room = meeting.breakout.find(str(room_in["name"]))
        for email in room_in.get("participants") or []:
            if room is not None and isinstance(email, str):
                meeting.preassign(email, room)
    return _meeting_view(service, request, meeting)


@router.get("/meetings/{meeting_id}")
async def get_meeting(meeting_id: str, request: Request, user: User, service: Service) -> dict[str, Any]:
    return _meeting_view(service, request, _own_meeting(service, user, meeting_id))


@router.patch("/meetings/{meeting_id}/status", status_code=204)
async def update_status(
    meeting_id: str, user: User, service: Service, body: Annotated[dict[str, Any], Body()]
) -> Response:
    meeting = _own_meeting(service, user, meeting_id)
    if body.get("action") != "end":
        raise ZoomApiError(400, 300, "Invalid field: action.")
    meeting.end()
    return Response(status_code=204)


@router.delete("/meetings/{meeting_id}", status_code=204)
async def delete_meeting(meeting_id: str, user: User, service: Service) -> Response:
    meeting = _own_meeting(service, user, meeting_id)
    service.meetings.delete(meeting.number)
    return Response(status_code=204)


def _own_meeting(service: FakeZoomService, user: SimUser, meeting_id: str) -> Meeting:
    meeting = service.meetings.get(meeting_id)
    if meeting is None or meeting.account_id != user.account_id:
        raise ZoomApiError(404, 3001, f"Meeting does not exist: {meeting_id}.")
    return meeting


def _meeting_view(service: FakeZoomService, request: Request, meeting: Meeting) -> dict[str, Any]:
    host = service.users.find(meeting.host_user_id)
    base = service.base_url(request)
    passcode = meeting.settings.passcode
    join_url = f"{base}/join/{meeting.number}" + (f"?pwd={quote(passcode)}" if passcode else "")
    created = dt.datetime.fromtimestamp(meeting.created_at, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rooms = [
        {
            "name": room.name,
            "participants": [key for key, room_id in meeting.breakout.preassigned.items() if room_id == room.room_id],
        }
        for room in meeting.breakout.rooms
    ]
    return {
        "uuid": meeting.uuid,
        "id": int(meeting.number),
        "host_id": meeting.host_user_id,
        "host_email": host.email if host else "",
        "topic": meeting.settings.topic,
        "type": 2,
        "status": "started" if meeting.started else "waiting",
        "start_time": created,
        "duration": 60,
        "timezone": "UTC",
        "created_at": created,
        "start_url": join_url,
        "join_url": join_url,
        "password": passcode,
        "settings": {
            "join_before_host": meeting.settings.join_before_host,
            "waiting_room": meeting.settings.waiting_room,
            "breakout_room": {"enable": bool(meeting.breakout.rooms), "rooms": rooms},
        },
    }
