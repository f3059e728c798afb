"""LiveAvatar's public REST API (api.liveavatar.com/v1/...), with the real envelope, auth and errors.

Sessions: token (X-API-KEY), start (Bearer), stop and keep-alive (Bearer, or X-API-KEY with session_id), list,
detail, transcript. Avatars, voices, credits, and contexts CRUD (X-API-KEY). See README.md in this package.
Every endpoint is rate limited per caller and per endpoint (rate_limits.py).
"""

from __future__ import annotations

import logging
import math
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import TypeAdapter

from fakes.liveavatar.auth import require_api_key, require_session_token, session_token_or_api_key
from fakes.liveavatar.avatars import AVATARS, find_avatar, preview_svg
from fakes.liveavatar.contexts import ContextLink
from fakes.liveavatar.envelope import BusinessError, ErrorCode, ok
from fakes.liveavatar.livekit_server import LiveKitUnavailable
from fakes.liveavatar.rate_limits import enforce_rate_limit
from fakes.liveavatar.schemas import (
    AvatarPersona,
    ContextBody,
    ContextPatch,
    FullTokenRequest,
    KeepAliveRequest,
    LiteTokenRequest,
    StopRequest,
    TokenRequest,
    VoiceAgentRef,
)
from fakes.liveavatar.service import LiveAvatarService, get_service
from fakes.liveavatar.sessions import AvatarSession, SessionStatus, StopReason
from fakes.liveavatar.validation import check_length, field_error, json_body, validate
from fakes.liveavatar.voice_agents import VOICE_AGENTS, find_voice_agent
from fakes.liveavatar.voices import VOICES, find_voice

log = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(enforce_rate_limit)])
Service = Annotated[LiveAvatarService, Depends(get_service)]
Page = Annotated[int, Query(ge=1)]
PageSize = Annotated[int, Query(ge=1, le=100)]

_TOKEN_BODY: TypeAdapter[FullTokenRequest | LiteTokenRequest] = TypeAdapter(TokenRequest)
_STOP_BODY = TypeAdapter(StopRequest)
_KEEP_ALIVE_BODY = TypeAdapter(KeepAliveRequest)
_CONTEXT_BODY = TypeAdapter(ContextBody)
_CONTEXT_PATCH = TypeAdapter(ContextPatch)


def paginate(request: Request, items: list[Any], page: int, page_size: int) -> dict[str, Any]:
    start = (page - 1) * page_size
    last_page = max(1, math.ceil(len(items) / page_size))
    url = request.url
    return {
        "count": len(items),
        "next": str(url.include_query_params(page=page + 1)) if page < last_page else None,
        "previous": str(url.include_query_params(page=page - 1)) if page > 1 else None,
        "results": items[start : start + page_size],
    }


def _session_or_404(service: LiveAvatarService, session_id: str) -> AvatarSession:
    session = service.registry.get(session_id)
    if session is None:
        raise BusinessError(404, ErrorCode.SESSION_NOT_FOUND, "Session not found")
    return session


# -- sessions ---------------------------------------------------------------------------------------------------


def _voice_agent_persona(ref: VoiceAgentRef | None) -> AvatarPersona:
    """The persona a voice agent stands for, with the request's overrides."""
    assert ref is not None  # the schema requires one of avatar_persona and voice_agent
    agent = find_voice_agent(str(ref.id))
    if agent is None:
        raise BusinessError(404, ErrorCode.VOICE_AGENT_NOT_FOUND, "Voice agent not found")
    return AvatarPersona(
        voice_id=ref.voice_id or UUID(agent.voice_id),
        context_id=ref.context_id or (UUID(agent.context_id) if agent.context_id else None),
        language=ref.language or agent.language,
    )


@router.post("/v1/sessions/token")
async def create_session_token(request: Request, service: Service) -> JSONResponse:
    require_api_key(request, service)
    data = await json_body(request, empty={})
    if isinstance(data, dict):
        data = {"mode": "FULL", **data}
    body = validate(_TOKEN_BODY, data)
    config = service.config
    if body.max_session_duration is not None and body.max_session_duration > config.max_session_duration_limit_s:
        raise field_error(
            "max_session_duration",
            "less_than_equal",
            f"Input should be less than or equal to {config.max_session_duration_limit_s} (your tier's limit)",
            body.max_session_duration,
            le=config.max_session_duration_limit_s,
        )
    avatar = find_avatar(str(body.avatar_id))
    if avatar is None:
        raise BusinessError(404, ErrorCode.AVATAR_NOT_FOUND, "Avatar not found")
    if avatar.status != "ACTIVE":
        raise BusinessError(400, ErrorCode.AVATAR_NOT_READY, f"Avatar is not ready (status {avatar.status})")
    if body.is_sandbox and not avatar.sandbox_allowed:
        raise BusinessError(
            400, ErrorCode.AVATAR_NOT_ALLOWED_IN_SANDBOX, "This avatar is not available in sandbox mode"
        )
    voice, speed, context, language = avatar.default_voice, 1.0, None, "en"
    interactivity = "CONVERSATIONAL"
    if isinstance(body, FullTokenRequest):
        if body.avatar_persona is None and body.voice_agent is None:
            raise field_error("avatar_persona", "missing", "Field required (or voice_agent)", None)
        if body.avatar_persona is not None and body.voice_agent is not None:
            raise field_error(
                "voice_agent", "value_error", "voice_agent is mutually exclusive with avatar_persona", None
            )
        persona = body.avatar_persona or _voice_agent_persona(body.voice_agent)
        language, interactivity = persona.language, body.interactivity_type
        if persona.voice_id is not None:
            found = find_voice(str(persona.voice_id))
            if found is None:
                raise BusinessError(404, ErrorCode.VOICE_NOT_FOUND, "Voice not found")
            voice = found
        if persona.voice_settings is not None:
            speed = persona.voice_settings.speed
        if persona.context_id is not None:
            stored = service.contexts.get(str(persona.context_id))
            if stored is None:
                raise BusinessError(404, ErrorCode.CONTEXT_NOT_FOUND, "Context not found")
            variables = body.dynamic_variables or {}
            missing = [name for name in stored.required_dynamic_variables if name not in variables]
            if missing:
                raise BusinessError(
                    400, ErrorCode.MISSING_DYNAMIC_VARIABLES, f"Missing dynamic variables: {', '.join(missing)}"
                )
            context = service.contexts.resolve(stored, variables)
    video = body.video_settings
    start_session_data = body.model_dump(mode="json", exclude_none=True)
    session = service.registry.create(
        mode=body.mode,
        avatar=avatar,
        voice=voice,
        voice_speed=speed,
        is_sandbox=body.is_sandbox,
        quality=video.quality if video else "high",
        encoding=video.encoding if video else "H264",
        interactivity_type=interactivity,
        max_session_duration=body.max_session_duration or config.max_session_duration_limit_s,
        language=language,
        context=context,
        start_session_data=start_session_data,
    )
    token = service.tokens.session_token(session.id, start_session_data, config.wall_clock(), config.token_ttl_s)
    return ok({"session_id": session.id, "session_token": token})


@router.post("/v1/sessions/start")
async def start_session(request: Request, service: Service) -> JSONResponse:
    session = require_session_token(request, service)
    try:
        endpoint = await service.rooms.endpoint()
    except LiveKitUnavailable:
        log.exception("fakes/liveavatar cannot start its LiveKit server")
        raise BusinessError(500, ErrorCode.INTERNAL, "The avatar media server is unavailable") from None
    service.registry.start(session)
    agent = service.agents.start(session)
    room = service.rooms.open(session, agent, endpoint)
    config = service.config
    base = service.base_url(request)
    ws_base = "ws" + base.removeprefix("http")
    max_duration = session.max_session_duration
    if session.is_sandbox:
        max_duration = min(max_duration, math.ceil(config.sandbox_duration_s))
    data: dict[str, Any] = {
        "session_id": session.id,
        "livekit_url": endpoint.url,
        "livekit_client_token": room.client_token(),
        "livekit_agent_token": None,
        "max_session_duration": max_duration,
    }
    if session.mode == "LITE":
        lite_token = service.tokens.lite_token(session.id, config.wall_clock(), config.token_ttl_s)
        data["ws_url"] = f"{ws_base}/v1/ws/lite?session_id={session.id}&token={lite_token}"
    return ok(data, status=201)


def _addressed(token_session: AvatarSession | None, session_id: Any, service: LiveAvatarService) -> AvatarSession:
    """The session a stop or keep-alive is about: the session token's own, or `session_id` with an API key."""
    if token_session is None:
        if session_id is None:
            raise field_error("session_id", "missing", "Field required with X-API-KEY", None)
        return _session_or_404(service, str(session_id))
    if session_id is not None and str(session_id) != token_session.id:
        raise BusinessError(403, ErrorCode.FORBIDDEN, "The session token belongs to another session")
    return token_session


@router.post("/v1/sessions/stop")
async def stop_session(request: Request, service: Service) -> JSONResponse:
    caller = session_token_or_api_key(request, service)
    body = validate(_STOP_BODY, await json_body(request, empty={}))
    session = _addressed(caller.session, body.session_id, service)
    if not service.registry.stop(session, StopReason(body.reason)):
        return ok(None, message="Session already stopped")
    return ok(None)


@router.post("/v1/sessions/keep-alive")
async def keep_alive(request: Request, service: Service) -> JSONResponse:
    caller = session_token_or_api_key(request, service)
    body = validate(_KEEP_ALIVE_BODY, await json_body(request, empty={}))
    session = _addressed(caller.session, body.session_id, service)
    if session.status is SessionStatus.CREATED:
        raise BusinessError(400, ErrorCode.INVALID_REQUEST, "Session not started")
    if session.status is SessionStatus.ENDED:
        raise BusinessError(400, ErrorCode.SESSION_ENDED, "Session already ended")
    service.registry.touch(session)
    return ok(None)


@router.get("/v1/sessions")
async def list_sessions(
    request: Request,
    service: Service,
    type: Literal["active", "historic"] = "active",
    page: Page = 1,
    page_size: PageSize = 20,
) -> JSONResponse:
    require_api_key(request, service)
    registry = service.registry
    sessions = registry.active() if type == "active" else registry.historic()
    now = registry.now()
    return ok(paginate(request, [session.schema(now) for session in sessions], page, page_size))


@router.get("/v1/sessions/{session_id}")
async def get_session(session_id: str, request: Request, service: Service) -> JSONResponse:
    require_api_key(request, service)
    session = _session_or_404(service, session_id)
    return ok(session.schema(service.registry.now()))


@router.get("/v1/sessions/{session_id}/transcript")
async def get_transcript(
    session_id: str,
    request: Request,
    service: Service,
    start_timestamp: int | None = None,
    end_timestamp: int | None = None,
) -> JSONResponse:
    require_api_key(request, service)
    session = _session_or_404(service, session_id)
    entries = [
        entry
        for entry in session.transcript
        if (start_timestamp is None or entry.absolute_timestamp >= start_timestamp)
        and (end_timestamp is None or entry.absolute_timestamp <= end_timestamp)
    ]
    next_timestamp = int(entries[-1].absolute_timestamp) + 1 if entries else None
    return ok(
        {
            "session_active": session.is_active,
            "transcript_data": [entry.schema() for entry in entries],
            "next_timestamp": next_timestamp,
        }
    )


# -- catalog and account ----------------------------------------------------------------------------------------


@router.get("/v1/avatars/public")
async def list_public_avatars(
    request: Request, service: Service, page: Page = 1, page_size: PageSize = 20
) -> JSONResponse:
    require_api_key(request, service)
    base = service.base_url(request)
    return ok(paginate(request, [avatar.schema(base) for avatar in AVATARS], page, page_size))


@router.get("/v1/avatars")
async def list_user_avatars(
    request: Request, service: Service, page: Page = 1, page_size: PageSize = 20
) -> JSONResponse:
    require_api_key(request, service)
    return ok(paginate(request, [], page, page_size))


@router.get("/v1/avatars/{avatar_id}")
async def get_avatar(avatar_id: str, request: Request, service: Service) -> JSONResponse:
    require_api_key(request, service)
    avatar = find_avatar(avatar_id)
    if avatar is None:
        raise BusinessError(404, ErrorCode.AVATAR_NOT_FOUND, "Avatar not found")
    return ok(avatar.schema(service.base_url(request)))


@router.get("/previews/{avatar_id}.svg")
async def avatar_preview(avatar_id: str) -> Response:
    avatar = find_avatar(avatar_id)
    if avatar is None:
        return Response(status_code=404)
    return Response(preview_svg(avatar), media_type="image/svg+xml")


@router.get("/v1/voices")
async def list_voices(request: Request, service: Service, page: Page = 1, page_size: PageSize = 20) -> JSONResponse:
    require_api_key(request, service)
    return ok(paginate(request, [voice.public() for voice in VOICES], page, page_size))


@router.get("/v1/voice_agents")
async def list_voice_agents(
    request: Request, service: Service, page: Page = 1, page_size: PageSize = 20
) -> JSONResponse:
    require_api_key(request, service)
    return ok(paginate(request, [agent.schema() for agent in VOICE_AGENTS], page, page_size))


@router.get("/v1/voice_agents/{agent_id}")
async def get_voice_agent(agent_id: str, request: Request, service: Service) -> JSONResponse:
    require_api_key(request, service)
    agent = find_voice_agent(agent_id)
    if agent is None:
        raise BusinessError(404, ErrorCode.VOICE_AGENT_NOT_FOUND, "Voice agent not found")
    return ok(agent.schema())


@router.get("/v1/users/credits")
async def get_credits(request: Request, service: Service) -> JSONResponse:
    require_api_key(request, service)
    return ok({"credits_left": service.ledger.balance})


# -- contexts ---------------------------------------------------------------------------------------------------


def _check_context_lengths(service: LiveAvatarService, body: ContextBody | ContextPatch) -> None:
    config = service.config
    check_length("name", body.name, config.max_context_name_chars)
    check_length("prompt", body.prompt, config.max_context_prompt_chars)
    check_length("opening_text", body.opening_text, config.max_context_opening_text_chars)


@router.post("/v1/contexts")
async def create_context(request: Request, service: Service) -> JSONResponse:
    require_api_key(request, service)
    body = validate(_CONTEXT_BODY, await json_body(request, empty={}))
    _check_context_lengths(service, body)
    links = [ContextLink(link.url, link.faq) for link in body.links]
    context = service.contexts.create(body.name, body.prompt, body.opening_text, links, service.config.wall_clock())
    return ok(context.detail())


@router.get("/v1/contexts")
async def list_contexts(request: Request, service: Service, page: Page = 1, page_size: PageSize = 20) -> JSONResponse:
    require_api_key(request, service)
    return ok(paginate(request, [context.summary() for context in service.contexts.all()], page, page_size))


@router.get("/v1/contexts/{context_id}")
async def get_context(context_id: str, request: Request, service: Service) -> JSONResponse:
    require_api_key(request, service)
    context = service.contexts.get(context_id)
    if context is None:
        raise BusinessError(404, ErrorCode.CONTEXT_NOT_FOUND, "Context not found")
    return ok(context.detail())


@router.api_route("/v1/contexts/{context_id}", methods=["PATCH", "PUT"])
async def update_context(context_id: str, request: Request, service: Service) -> JSONResponse:
    require_api_key(request, service)
    context = service.contexts.get(context_id)
    if context is None:
        raise BusinessError(404, ErrorCode.CONTEXT_NOT_FOUND, "Context not found")
    data = await json_body(request, empty={})
    body: ContextBody | ContextPatch
    if request.method == "PUT":
        body = validate(_CONTEXT_BODY, data)
    else:
        body = validate(_CONTEXT_PATCH, data)
    _check_context_lengths(service, body)
    if body.name is not None:
        context.name = body.name
    if body.prompt is not None:
        context.prompt = body.prompt
    if body.opening_text is not None:
        context.opening_text = body.opening_text
    if body.links is not None:
        context.links = [ContextLink(link.url, link.faq) for link in body.links]
    context.updated_at = service.config.wall_clock()
    return ok(context.detail())


@router.delete("/v1/contexts/{context_id}")
async def delete_context(context_id: str, request: Request, service: Service) -> JSONResponse:
    require_api_key(request, service)
    if not service.contexts.delete(context_id):
        raise BusinessError(404, ErrorCode.CONTEXT_NOT_FOUND, "Context not found")
    return ok(None)
