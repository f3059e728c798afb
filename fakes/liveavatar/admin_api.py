"""Test and demo control of the fake, behind `Authorization: Bearer <admin token>`; not part of LiveAvatar.

  POST   /admin/faults             {"method": "POST", "path": "/v1/sessions/start", "fault": "500"|"429"|"hang"|"slow",
                                    "times": 1, "hang_seconds": 30}          -> the fault (with its id)
  GET    /admin/faults             faults still armed or spent
  DELETE /admin/faults             disarm all
  POST   /admin/sessions/{id}/stop {"reason": "SERVER_ERROR"}                 end a session from the server side
  GET    /admin/sessions           every session with its internals (status, timers, credits, room, events)
  GET    /admin/calls?path=...     the call log (method, path, status, fault, auth); DELETE clears it
  GET    /admin/credits            {"balance", "overage_enabled", "total_charged"}
  PUT    /admin/credits            {"balance"?: float, "overage_enabled"?: bool}
  GET    /admin/limits             the limits in force; PUT changes any of them at run time:
                                   {"max_concurrent_sessions", "idle_timeout_s", "sandbox_duration_s",
                                    "max_session_duration_limit_s", "seconds_per_billing_minute",
                                    "client_absence_timeout_s", "rate_limit_per_second" (0: none)}
  GET    /admin/livekit            {"url", "api_key", "api_secret"} of the fake's LiveKit server (started if needed)
  POST   /admin/livekit/faults     {"fault": "delay_participants", "delay_s": 40, "times": 1}: the avatar and the
                                   agent join the next sessions' rooms that late (the SDK gives up after 30 s);
                                   {"fault": "refuse_microphone", "times": 1}: the next sessions' client tokens
                                   may not publish tracks (data only), so the SDK's microphone publish fails
  GET    /admin/livekit/faults ; DELETE /admin/livekit/faults
  POST   /admin/sessions/{id}/avatar/republish {"after_s": 1}    the avatar unpublishes its tracks, then
                                                                  publishes new ones
  POST   /admin/sessions/{id}/avatar/kill {"rejoin_after_s": null} the avatar participant leaves the room at once
                                                                  (and joins again later if asked)
Every answer uses the LiveAvatar envelope {code: 1000, data, message}.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from fakes.liveavatar.auth import require_admin
from fakes.liveavatar.avatar_room import AvatarRoom
from fakes.liveavatar.envelope import BusinessError, ErrorCode, ok
from fakes.liveavatar.faults import Fault, FaultKind
from fakes.liveavatar.livekit_server import LiveKitUnavailable
from fakes.liveavatar.rooms import ArmedRoomFault
from fakes.liveavatar.schemas import StopReasonName
from fakes.liveavatar.service import LiveAvatarService, get_service
from fakes.liveavatar.sessions import AvatarSession, StopReason
from fakes.liveavatar.validation import json_body, validate


def _admin(request: Request, service: Annotated[LiveAvatarService, Depends(get_service)]) -> LiveAvatarService:
    require_admin(request, service)
    return service


router = APIRouter(prefix="/admin")
Admin = Annotated[LiveAvatarService, Depends(_admin)]


class FaultBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: str = "*"
    path: Annotated[str, Field(pattern=r"^/")]
    fault: FaultKind
    times: Annotated[int, Field(ge=1)] = 1
    hang_seconds: Annotated[float, Field(gt=0)] = 30.0


class AdminStopBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: StopReasonName = "SERVER_ERROR"


class RoomFaultBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fault: Literal["delay_participants", "refuse_microphone"]
    times: Annotated[int, Field(ge=1)] = 1
    delay_s: Annotated[float, Field(ge=0)] = 40.0


class RepublishBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after_s: Annotated[float, Field(ge=0, le=60)] = 1.0


class KillAvatarBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rejoin_after_s: Annotated[float, Field(ge=0, le=600)] | None = None


class CreditsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    balance: float | None = None
    overage_enabled: bool | None = None


class LimitsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_concurrent_sessions: Annotated[int, Field(ge=0)] | None = None
    idle_timeout_s: Annotated[float, Field(gt=0)] | None = None
    sandbox_duration_s: Annotated[float, Field(gt=0)] | None = None
    max_session_duration_limit_s: Annotated[int, Field(gt=0)] | None = None
    seconds_per_billing_minute: Annotated[float, Field(gt=0)] | None = None
    client_absence_timeout_s: Annotated[float, Field(gt=0)] | None = None
    rate_limit_per_second: Annotated[int, Field(ge=0)] | None = None


def _internals(service: LiveAvatarService, session: AvatarSession) -> dict[str, Any]:
    now = service.registry.now()
    agent = service.agents.get(session.id)
    room = service.rooms.get(session.id)
    idle_left = None
    if session.is_active and session.last_activity_mono is not None:
        idle_left = max(0.0, service.config.idle_timeout_s - (now - session.last_activity_mono))
    return {
        **session.schema(now),
        "avatar_name": session.avatar.name,
        "voice_id": session.voice.id,
        "quality": session.quality,
        "interactivity_type": session.interactivity_type,
        "billed_minutes": session.billed_minutes,
        "escrow": session.escrow,
        "seconds_since_activity": None if session.last_activity_mono is None else now - session.last_activity_mono,
        "idle_timeout_in": idle_left,
        "media_connected_ever": session.media_connected_ever,
        "client_in_room": session.client_in_room,
        "livekit": room.describe() if room else None,
        "avatar_state": agent.state if agent else None,
        "transcript_entries": len(session.transcript),
        "events": list(agent.event_log) if agent else [],
        "start_session_data": session.start_session_data,
    }


@router.get("/sessions")
async def admin_sessions(service: Admin) -> JSONResponse:
    return ok([_internals(service, session) for session in service.registry.all()])


@router.post("/sessions/{session_id}/stop")
async def admin_stop(session_id: str, request: Request, service: Admin) -> JSONResponse:
    body = validate(TypeAdapter(AdminStopBody), await json_body(request, empty={}))
    session = service.registry.get(session_id)
    if session is None:
        raise BusinessError(404, ErrorCode.SESSION_NOT_FOUND, "Session not found")
    stopped = service.registry.stop(session, StopReason(body.reason))
    return ok(_internals(service, session), message="stopped" if stopped else "Session already stopped")


def _room_or_404(service: LiveAvatarService, session_id: str) -> AvatarRoom:
    session = service.registry.get(session_id)
    room = service.rooms.get(session.id) if session is not None else None
    if session is None or room is None or not session.is_active:
        raise BusinessError(404, ErrorCode.SESSION_NOT_FOUND, "No live session with that id")
    return room


@router.post("/sessions/{session_id}/avatar/republish")
async def avatar_republish(session_id: str, request: Request, service: Admin) -> JSONResponse:
    body = validate(TypeAdapter(RepublishBody), await json_body(request, empty={}))
    room = _room_or_404(service, session_id)
    if not room.avatar_published:
        raise BusinessError(409, ErrorCode.INVALID_REQUEST, "The avatar has not published its tracks")
    await room.republish(body.after_s)
    return ok(room.describe())


@router.post("/sessions/{session_id}/avatar/kill")
async def avatar_kill(session_id: str, request: Request, service: Admin) -> JSONResponse:
    body = validate(TypeAdapter(KillAvatarBody), await json_body(request, empty={}))
    room = _room_or_404(service, session_id)
    await room.kill_avatar(body.rejoin_after_s)
    return ok(room.describe())


@router.get("/livekit")
async def livekit_endpoint(service: Admin) -> JSONResponse:
    try:
        endpoint = await service.rooms.endpoint()
    except LiveKitUnavailable as exc:
        raise BusinessError(503, ErrorCode.INTERNAL, str(exc)) from None
    return ok({"url": endpoint.url, "api_key": endpoint.api_key, "api_secret": endpoint.api_secret})


@router.post("/livekit/faults")
async def add_room_fault(request: Request, service: Admin) -> JSONResponse:
    body = validate(TypeAdapter(RoomFaultBody), await json_body(request, empty={}))
    fault = ArmedRoomFault(body.fault, body.times, body.delay_s if body.fault == "delay_participants" else 0.0)
    service.rooms.armed.append(fault)
    return ok(fault.schema())


@router.get("/livekit/faults")
async def list_room_faults(service: Admin) -> JSONResponse:
    return ok([fault.schema() for fault in service.rooms.armed])


@router.delete("/livekit/faults")
async def clear_room_faults(service: Admin) -> JSONResponse:
    service.rooms.armed.clear()
    return ok(None)


@router.post("/faults")
async def add_fault(request: Request, service: Admin) -> JSONResponse:
    body = validate(TypeAdapter(FaultBody), await json_body(request, empty={}))
    fault = service.faults.add(Fault(body.method, body.path, body.fault, body.times, body.hang_seconds))
    return ok(fault.schema())


@router.get("/faults")
async def list_faults(service: Admin) -> JSONResponse:
    return ok([fault.schema() for fault in service.faults.faults])


@router.delete("/faults")
async def clear_faults(service: Admin) -> JSONResponse:
    service.faults.clear()
    return ok(None)


@router.get("/calls")
async def list_calls(service: Admin, path: str | None = None) -> JSONResponse:
    calls = [call.schema() for call in service.faults.calls if path is None or call.path.startswith(path)]
    return ok(calls)


@router.delete("/calls")
async def clear_calls(service: Admin) -> JSONResponse:
    service.faults.calls.clear()
    return ok(None)


def _credits(service: LiveAvatarService) -> dict[str, Any]:
    ledger = service.ledger
    return {"balance": ledger.balance, "overage_enabled": ledger.overage_enabled, "total_charged": ledger.total_charged}


@router.get("/credits")
async def get_credits(service: Admin) -> JSONResponse:
    return ok(_credits(service))


@router.put("/credits")
async def set_credits(request: Request, service: Admin) -> JSONResponse:
    body = validate(TypeAdapter(CreditsBody), await json_body(request, empty={}))
    if body.balance is not None:
        service.ledger.balance = body.balance
    if body.overage_enabled is not None:
        service.ledger.overage_enabled = body.overage_enabled
    return ok(_credits(service))


_LIMIT_FIELDS = tuple(LimitsBody.model_fields)


@router.get("/limits")
async def get_limits(service: Admin) -> JSONResponse:
    return ok({name: getattr(service.config, name) for name in _LIMIT_FIELDS})


@router.put("/limits")
async def set_limits(request: Request, service: Admin) -> JSONResponse:
    body = validate(TypeAdapter(LimitsBody), await json_body(request, empty={}))
    for name, value in body.model_dump(exclude_none=True).items():
        setattr(service.config, name, value)
    return ok({name: getattr(service.config, name) for name in _LIMIT_FIELDS})
