"""REST routes for sessions and their rooms: create, list, read, end, and the room commands."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, Response, status

from api.deps import FarmDep, RepositoryDep, SettingsDep
from api.errors import ApiError, conflict, invalid, invalid_fields, not_found
from api.farm_port import FarmManager
from api.liveavatar_catalog import CatalogRefused, LiveAvatarCatalog
from api.ownership import owned_room, owned_session
from api.principals import Principal, PrincipalDep
from api.schemas import (
    SESSION_EXAMPLES,
    CommandAccepted,
    ContextUpdate,
    ErrorOut,
    ProfessorIn,
    RoomDetail,
    SayRequest,
    SessionCreate,
    SessionList,
    SessionOut,
)
from farm.errors import FarmError, RoomNotReady
from farm.settings import Settings
from state.models import Room, RoomStatus, Session, SessionStatus
from state.professors_repository import ProfessorAccount
from state.repository import IdempotencyConflict, Repository

log = logging.getLogger("avatarfarm.api")

router = APIRouter(prefix="/api/sessions", tags=["sessions"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or wrong API token."},
    404: {"model": ErrorOut, "description": "No such session or room."},
    409: {"model": ErrorOut, "description": "The session has ended, or the room cannot take this now."},
    422: {"model": ErrorOut, "description": "The request is invalid; `detail` names each field."},
}

MAX_IDEMPOTENCY_KEY = 200


def _ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


SESSION = "/api/sessions/{session_id}"
ROOM = SESSION + "/rooms/{room_id}"
_SESSION_ID = {"session_id": "$response.body#/id"}
_ROOM_IDS = {"session_id": "$response.body#/id", "room_id": "$response.body#/rooms/0/id"}
# OpenAPI links: what a client (or a property-based test) can do next with the session and the rooms a
# POST /api/sessions returns. (Not the thumbnail: a room has one only once its bot sends a picture.)
SESSION_LINKS: dict[str, dict[str, object]] = {
    "GetSession": {"operationRef": _ref(SESSION, "get"), "parameters": _SESSION_ID},
    "GetRoom": {"operationRef": _ref(ROOM, "get"), "parameters": _ROOM_IDS},
    "SayInRoom": {"operationRef": _ref(ROOM + "/say", "post"), "parameters": _ROOM_IDS},
    "InterruptRoom": {"operationRef": _ref(ROOM + "/interrupt", "post"), "parameters": _ROOM_IDS},
    "RestartRoom": {"operationRef": _ref(ROOM + "/restart", "post"), "parameters": _ROOM_IDS},
    "UpdateRoomContext": {"operationRef": _ref(ROOM + "/context", "put"), "parameters": _ROOM_IDS},
    "LeaveRoom": {"operationRef": _ref(ROOM + "/leave", "post"), "parameters": _ROOM_IDS},
    "RoomTranscript": {"operationRef": _ref(ROOM + "/transcript", "get"), "parameters": _ROOM_IDS},
}
CREATED: dict[int | str, dict[str, object]] = {
    202: {"description": "The session is stored and its rooms are queued for bots.", "links": SESSION_LINKS},
    409: {"model": ErrorOut, "description": "The Idempotency-Key was already used for another request."},
    503: {"model": ErrorOut, "description": "LiveAvatar refuses avatarfarm's API key, so no avatar could start."},
}


def _out(session: Session, settings: Settings, farm: FarmManager) -> SessionOut:
    return SessionOut.of(session, credit_budget=settings.session_credit_budget, media=farm.live_media)


async def _active_room(
    repository: Repository, principal: Principal, session_id: str, room_id: str
) -> tuple[Session, Room]:
    session, room = await owned_room(repository, principal, session_id, room_id)
    if session.status is SessionStatus.ended:
        raise conflict("This session has ended; start a new session to work with its rooms again.")
    if session.status is SessionStatus.ending:
        raise conflict("This session is ending; its rooms are leaving the meeting.")
    return session, room


def _require_live(room: Room) -> None:
    if room.status is not RoomStatus.live:
        raise conflict(f"Room '{room.name}' has no live avatar yet (its status is {room.status.value}).")


async def check_avatar(
    catalog: LiveAvatarCatalog,
    avatar_id: str,
    voice_id: str | None,
    *,
    prefix: str = "professor.",
    doing: str = "starting a session",
) -> None:
    """422 naming professor.avatar_id / voice_id when LiveAvatar does not have them (nothing is stored then).
    When LiveAvatar cannot be asked the check is skipped: a wrong id then fails its rooms in words."""
    try:
        problems = await catalog.problems(avatar_id, voice_id)
    except CatalogRefused as exc:
        raise ApiError(503, "liveavatar_refused", exc.words) from None
    if problems is None:
        log.warning("LiveAvatar unreachable: %s without checking avatar %s", doing, avatar_id)
    elif problems:
        raise invalid_fields([(prefix + p.field.removeprefix("professor."), p.message) for p in problems])


def with_profile(professor: ProfessorIn, account: ProfessorAccount | None) -> ProfessorIn:
    """The session's professor, with what it leaves out taken from the professor's own profile: their avatar,
    their teaching style, and their voice when the session uses their own avatar."""
    if account is None or account.avatar_id is None:
        return professor
    changes: dict[str, object] = {}
    avatar_id = professor.avatar_id or account.avatar_id
    if professor.avatar_id is None:
        changes["avatar_id"] = avatar_id
    if professor.teaching_style is None and account.teaching_style:
        changes["teaching_style"] = account.teaching_style
    if professor.voice_id is None and avatar_id == account.avatar_id and account.voice_id:
        changes["voice_id"] = account.voice_id
    return professor.model_copy(update=changes)


NO_AVATAR_WORDS = (
    "Name the LiveAvatar avatar of your clone here, or keep your own avatar in your profile (the dashboard's "
    "account page, or PUT /api/me/profile) so that your sessions use it."
)


async def check_zoom_connected(repository: Repository, settings: Settings, body: SessionCreate, owner: str) -> None:
    """409 in words when the session asks avatarfarm to create its meeting (done with the owner's own Zoom) and the
    owner has not connected Zoom. Without Zoom OAuth configured the farm says so when it tries."""
    if not body.meeting.create or not settings.zoom_oauth_client_id:
        return
    if await repository.zoom_grants.get(owner) is None:
        raise ApiError(
            409,
            "zoom_not_connected",
            "avatarfarm creates this session's meeting with your own Zoom account, and you have not connected it "
            "yet: connect it once on the dashboard's Zoom page, or give the number of an existing meeting.",
            field="meeting",
        )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SessionOut,
    responses={**ERRORS, **CREATED},
    summary="Start a session: one avatar clone per breakout room",
)
async def create_session(
    request: Request,
    response: Response,
    repository: RepositoryDep,
    farm: FarmDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    body: Annotated[SessionCreate, Body(openapi_examples=SESSION_EXAMPLES)],
    idempotency_key: Annotated[
        str | None,
        Header(
            description="Retries with the same key and body return the first session instead of a new one.",
            max_length=MAX_IDEMPOTENCY_KEY,
        ),
    ] = None,
) -> SessionOut:
    # On browser nodes the farm's slots follow the nodes that are up: rooms beyond them wait in the queue.
    if not settings.browser_node_urls and len(body.rooms) > settings.max_bots:
        raise invalid(
            "rooms",
            f"This farm can run at most {settings.max_bots} rooms at once (AVATARFARM_MAX_BOTS); "
            f"you asked for {len(body.rooms)}.",
        )
    request_hash = hashlib.sha256(body.model_dump_json().encode()).hexdigest() if idempotency_key else None
    professor = with_profile(body.professor, await repository.professors.get(principal.professor_id))
    if professor.avatar_id is None:
        # 409, not 422: the body is valid; it is this professor's missing profile that leaves no avatar.
        raise ApiError(409, "no_avatar", NO_AVATAR_WORDS, field="professor.avatar_id")
    body = body.model_copy(update={"professor": professor})
    await check_avatar(request.app.state.liveavatar_catalog, professor.avatar_id, professor.voice_id)
    await check_zoom_connected(repository, settings, body, principal.professor_id)
    try:
        session, created = await repository.sessions.create(
            replace(
                body.to_new_session(idempotency_key=idempotency_key, request_hash=request_hash),
                owner_id=principal.professor_id,
            )
        )
    except IdempotencyConflict:
        # 409, not 422: the body is valid; it conflicts with what the key already stands for.
        raise ApiError(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request; use a new key for a new session.",
            field="Idempotency-Key",
        ) from None
    response.headers["Location"] = f"/api/sessions/{session.id}"
    if created:
        try:
            await farm.start_session(session.id)
        except FarmError as exc:
            log.warning("farm could not start session %s: %s", session.id, exc)
            await repository.events.append("session.start_failed", session_id=session.id, detail={"reason": str(exc)})
        session = await owned_session(repository, principal, session.id)
    else:
        response.headers["Idempotent-Replayed"] = "true"
    return _out(session, settings, farm)


@router.get("", response_model=SessionList, responses=ERRORS, summary="List sessions, newest first")
async def list_sessions(
    repository: RepositoryDep,
    settings: SettingsDep,
    farm: FarmDep,
    principal: PrincipalDep,
    status_filter: Annotated[SessionStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> SessionList:
    sessions = await repository.sessions.all(status=status_filter, limit=limit, owner_id=principal.only_owner)
    return SessionList(sessions=[_out(s, settings, farm) for s in sessions])


@router.get("/{session_id}", response_model=SessionOut, responses=ERRORS, summary="One session with its rooms")
async def get_session(
    session_id: str, repository: RepositoryDep, settings: SettingsDep, farm: FarmDep, principal: PrincipalDep
) -> SessionOut:
    return _out(await owned_session(repository, principal, session_id), settings, farm)


@router.delete(
    "/{session_id}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SessionOut,
    responses=ERRORS,
    summary="End a session: every bot leaves and every avatar stops",
)
async def end_session(
    session_id: str, repository: RepositoryDep, farm: FarmDep, settings: SettingsDep, principal: PrincipalDep
) -> SessionOut:
    session = await owned_session(repository, principal, session_id)
    if session.status is SessionStatus.ended:
        raise conflict("This session has already ended.")
    if session.status is SessionStatus.ending:
        raise conflict("This session is already ending.")
    await repository.sessions.begin_ending(session_id, "ended by the professor")
    await farm.end_session(session_id)
    return _out(await owned_session(repository, principal, session_id), settings, farm)


@router.get(
    "/{session_id}/rooms/{room_id}",
    response_model=RoomDetail,
    responses=ERRORS,
    summary="One room: status, bot attempts, avatar sessions, transcript and timeline",
)
async def get_room(
    session_id: str, room_id: str, repository: RepositoryDep, farm: FarmDep, principal: PrincipalDep
) -> RoomDetail:
    _, room = await owned_room(repository, principal, session_id, room_id)
    return RoomDetail.build(
        room,
        media=farm.live_media,
        bots=await repository.bots.in_room(room_id),
        avatar_sessions=await repository.avatars.in_room(room_id),
        transcript=await repository.transcripts.in_room(room_id, limit=100),
        events=await repository.events.recent(room_id=room_id, limit=100),
        given=await repository.materials.given_passages(room_id),
    )


async def _command(
    repository: Repository, room: Room, command: str, detail: dict[str, object] | None = None
) -> CommandAccepted:
    event = await repository.events.append(
        "room.command", room_id=room.id, detail={"command": command, **(detail or {})}
    )
    return CommandAccepted(room_id=room.id, command=command, event_id=event.id)


def _farm_refused(exc: FarmError) -> ApiError:
    if isinstance(exc, RoomNotReady):
        return conflict(str(exc))
    return ApiError(503, "farm_unavailable", str(exc))


async def _ask_farm(call: Awaitable[None]) -> None:
    """Await a farm call; its refusal becomes 409 (the room cannot now) or 503 (the farm cannot)."""
    try:
        await call
    except FarmError as exc:
        raise _farm_refused(exc) from None


@router.post(
    "/{session_id}/rooms/{room_id}/say",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CommandAccepted,
    responses=ERRORS,
    summary="Make the room's avatar say a text verbatim",
)
async def say(
    session_id: str, room_id: str, body: SayRequest, repository: RepositoryDep, farm: FarmDep, principal: PrincipalDep
) -> CommandAccepted:
    _, room = await _active_room(repository, principal, session_id, room_id)
    _require_live(room)
    await _ask_farm(farm.say(room_id, body.text))
    return await _command(repository, room, "say", {"text": body.text})


@router.post(
    "/{session_id}/rooms/{room_id}/interrupt",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CommandAccepted,
    responses=ERRORS,
    summary="Stop the room's avatar mid-sentence",
)
async def interrupt(
    session_id: str, room_id: str, repository: RepositoryDep, farm: FarmDep, principal: PrincipalDep
) -> CommandAccepted:
    _, room = await _active_room(repository, principal, session_id, room_id)
    _require_live(room)
    await _ask_farm(farm.interrupt(room_id))
    return await _command(repository, room, "interrupt")


@router.post(
    "/{session_id}/rooms/{room_id}/restart",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CommandAccepted,
    responses=ERRORS,
    summary="Replace the room's bot with a fresh one",
)
async def restart(
    session_id: str, room_id: str, repository: RepositoryDep, farm: FarmDep, principal: PrincipalDep
) -> CommandAccepted:
    _, room = await _active_room(repository, principal, session_id, room_id)
    await _ask_farm(farm.restart_room(room_id))
    return await _command(repository, room, "restart")


@router.put(
    "/{session_id}/rooms/{room_id}/context",
    response_model=RoomDetail,
    responses=ERRORS,
    summary="Give the room's avatar extra instructions (applied live when the avatar is running)",
)
async def update_context(
    session_id: str,
    room_id: str,
    body: ContextUpdate,
    repository: RepositoryDep,
    farm: FarmDep,
    principal: PrincipalDep,
) -> RoomDetail:
    _, room = await _active_room(repository, principal, session_id, room_id)
    # A live avatar takes the new context first, so a refusal leaves the stored context unchanged.
    if room.status is RoomStatus.live:
        await _ask_farm(farm.update_context(room_id, body.text))
    await repository.sessions.set_room_context(room_id, body.text)
    return await get_room(session_id, room_id, repository, farm, principal)


@router.post(
    "/{session_id}/rooms/{room_id}/leave",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CommandAccepted,
    responses=ERRORS,
    summary="The room's bot leaves the meeting and its avatar stops (the rest of the session goes on)",
)
async def leave(
    session_id: str, room_id: str, repository: RepositoryDep, farm: FarmDep, principal: PrincipalDep
) -> CommandAccepted:
    _, room = await _active_room(repository, principal, session_id, room_id)
    if room.status.terminal:
        raise conflict(f"Room '{room.name}' has already {room.status.value}.")
    await _ask_farm(farm.leave_room(room_id))
    return await _command(repository, room, "leave")


@router.get(
    "/{session_id}/rooms/{room_id}/thumbnail",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "What the bot sends as its camera."}, **ERRORS},
    summary="The latest thumbnail of the room's outbound camera (JPEG)",
)
async def thumbnail(
    session_id: str, room_id: str, repository: RepositoryDep, farm: FarmDep, principal: PrincipalDep
) -> Response:
    _, room = await owned_room(repository, principal, session_id, room_id)
    media = farm.live_media(room.id)
    if media is None or media.thumbnail_jpeg is None:
        raise not_found(f"thumbnail for room '{room.name}' yet")
    return Response(media.thumbnail_jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
