"""Admission to LITE mode's session WebSocket (`ws_url`): accept, check the token it carries, find its session.
A refused socket is closed with 4401 (bad token) or 4404 (unknown session)."""

from __future__ import annotations

from fastapi import WebSocket

from fakes.liveavatar.service import LiveAvatarService, get_service
from fakes.liveavatar.sessions import AvatarSession
from fakes.liveavatar.tokens import TokenError


async def admit(websocket: WebSocket, session_id: str, token: str) -> tuple[LiveAvatarService, AvatarSession] | None:
    service = get_service(websocket)
    await websocket.accept()
    try:
        claims = service.tokens.verify(token, "lite", service.config.wall_clock())
    except TokenError as exc:
        await websocket.close(4401, f"invalid token: {exc}"[:120])
        return None
    session = service.registry.get(session_id)
    if session is None or claims.get("session_id") != session.id:
        await websocket.close(4404, "unknown session")
        return None
    return service, session
