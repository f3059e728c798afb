"""GET /api/events: Server-Sent Events of every state change, filterable by session, resumable by id.

A stream first replays what the client missed (events after Last-Event-ID, from the event log), then
follows live events from the bus. If the client is too slow for the bus, the stream goes back to the log
instead of dropping events, so ids arrive gap-free and in order.

A professor's stream carries only the events of their own sessions (a session of another is 404, as one that
does not exist); the admin's carries everything.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sse_starlette.sse import EventSourceResponse, ServerSentEvent

from api.deps import RepositoryDep
from api.errors import invalid
from api.ownership import owned_session
from api.principals import Principal, PrincipalDep
from api.schemas import ErrorOut, EventOut
from state.models import Event
from state.repository import Repository

router = APIRouter(tags=["events"])

REPLAY_BATCH = 500
PING_SECONDS = 15
RETRY_MS = 2000
# An event id, as _parse_id takes it (empty = none).
EVENT_ID_PATTERN = "^[0-9]{0,18}$"


def _message(event: Event) -> ServerSentEvent:
    return ServerSentEvent(
        data=json.dumps(EventOut.of(event).model_dump(mode="json"), separators=(",", ":")),
        id=str(event.id),
        event=event.kind,
        retry=RETRY_MS,
    )


class _Visible:
    """Whether a live event is the principal's to see: of one of their sessions (owners looked up once each)."""

    def __init__(self, repository: Repository, principal: Principal) -> None:
        self._repository = repository
        self._principal = principal
        self._owners: dict[str, str | None] = {}

    async def __call__(self, event: Event) -> bool:
        if self._principal.is_admin:
            return True
        if event.session_id is None:
            return False
        if event.session_id not in self._owners:
            self._owners[event.session_id] = await self._repository.sessions.owner(event.session_id)
        owner = self._owners[event.session_id]
        return owner is not None and self._principal.owns(owner)


async def _follow(
    request: Request, repository: Repository, principal: Principal, session_id: str | None, last_id: int
) -> AsyncGenerator[ServerSentEvent, None]:
    bus = repository.bus
    visible = _Visible(repository, principal)
    while True:
        subscription = bus.subscribe(session_id)
        try:
            while True:
                batch = await repository.events.all(
                    after_id=last_id, session_id=session_id, owner_id=principal.only_owner, limit=REPLAY_BATCH
                )
                for event in batch:
                    yield _message(event)
                    last_id = event.id
                if len(batch) < REPLAY_BATCH:
                    break
            async for event in subscription:
                if event.id <= last_id:
                    continue
                last_id = event.id
                if await visible(event):
                    yield _message(event)
        finally:
            subscription.close()
        if not subscription.lagged or await request.is_disconnected():
            return


def _parse_id(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    # ASCII only: str.isdigit() also accepts "²" or "١", which int() refuses or SQLite cannot hold.
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise invalid(name, "Must be the id of an event (a whole number).")
    return int(value)


@router.get(
    "/api/events",
    summary="Live events (Server-Sent Events)",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "One SSE message per event; id = event id."},
        401: {"model": ErrorOut},
        404: {"model": ErrorOut, "description": "No such session."},
    },
)
async def events(
    request: Request,
    repository: RepositoryDep,
    principal: PrincipalDep,
    session: Annotated[str | None, Query(description="Only events of this session.")] = None,
    since: Annotated[
        str,
        Query(
            description="Replay events after this id (0 = from the start); default: only new ones.",
            json_schema_extra={"pattern": EVENT_ID_PATTERN},
        ),
    ] = "",
    last_event_id: Annotated[
        str,
        Header(description="Sent by EventSource when it reconnects.", json_schema_extra={"pattern": EVENT_ID_PATTERN}),
    ] = "",
) -> EventSourceResponse:
    if session is not None:
        await owned_session(repository, principal, session)
    start = _parse_id(last_event_id, "Last-Event-ID")
    if start is None:
        start = _parse_id(since, "since")
    if start is None:
        start = await repository.events.last_id()
    return EventSourceResponse(
        _follow(request, repository, principal, session, start),
        ping=PING_SECONDS,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
