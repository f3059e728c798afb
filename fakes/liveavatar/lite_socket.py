"""LITE mode's WebSocket (`ws_url` of the start response): the client sends the avatar's audio, the avatar
lip-syncs it (here: plays it on the avatar's audio track in the LiveKit room) and reports speaking events.

Commands (JSON with "type"): agent.speak {audio: base64 PCM16 mono 24 kHz, event_id}, agent.speak_end {event_id},
agent.interrupt, agent.start_listening, agent.stop_listening, session.keep_alive.
Events: session.state_updated {state: "connected"} on connect, agent.speak_started, agent.speak_ended,
agent.speak_interrupted (their event_id is the speak's event_id, which the web SDK passes on), error {message}.
The fake buffers one speak's chunks until agent.speak_end, then plays them (LiveAvatar starts while chunks are
still arriving). Messages over 1 MB are refused with an error event, as documented.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from fakes.liveavatar.socket_auth import admit

router = APIRouter()

LITE_SAMPLE_RATE = 24_000
MAX_MESSAGE_BYTES = 1_000_000


@router.websocket("/v1/ws/lite")
async def lite(websocket: WebSocket, session_id: str = "", token: str = "") -> None:
    admitted = await admit(websocket, session_id, token)
    if admitted is None:
        return
    service, session = admitted
    agent = service.agents.get(session_id)
    if agent is None or session.mode != "LITE":
        await websocket.close(4404, "no live LITE session")
        return

    async def send(message: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await websocket.send_text(json.dumps({"event_id": str(uuid.uuid4()), **message}))

    await send({"type": "session.state_updated", "state": "connected"})
    buffers: dict[str, bytearray] = {}
    try:
        while True:
            raw = await websocket.receive_text()
            if len(raw) > MAX_MESSAGE_BYTES:
                await send({"type": "error", "message": "message larger than 1 MB"})
                continue
            try:
                message = json.loads(raw)
            except ValueError:
                await send({"type": "error", "message": "not JSON"})
                continue
            if not isinstance(message, dict):
                continue
            kind, event_id = message.get("type"), str(message.get("event_id") or uuid.uuid4())
            service.registry.touch(session)
            if kind == "agent.speak":
                try:
                    buffers.setdefault(event_id, bytearray()).extend(base64.b64decode(message.get("audio") or ""))
                except (binascii.Error, ValueError):
                    await send({"type": "error", "message": "audio is not base64"})
            elif kind == "agent.speak_end":
                pcm = bytes(buffers.pop(event_id, b""))
                if pcm:
                    await agent.play_audio(pcm[: len(pcm) // 2 * 2], LITE_SAMPLE_RATE, *_notifiers(send, event_id))
            elif kind == "agent.interrupt":
                buffers.clear()
                await agent.handle_command({"event_type": "avatar.interrupt"})
            elif kind == "agent.start_listening":
                await agent.handle_command({"event_type": "avatar.start_listening"})
            elif kind == "agent.stop_listening":
                await agent.handle_command({"event_type": "avatar.stop_listening"})
    except WebSocketDisconnect:
        pass


def _notifiers(
    send: Callable[[dict[str, Any]], Awaitable[None]], speak_id: str
) -> tuple[Callable[[], Awaitable[None]], Callable[[bool], Awaitable[None]]]:
    """The speak's start and end (or interruption) events, carrying the speak's own event_id."""

    async def started() -> None:
        await send({"type": "agent.speak_started", "event_id": speak_id})

    async def ended(interrupted: bool) -> None:
        await send({"type": "agent.speak_interrupted" if interrupted else "agent.speak_ended", "event_id": speak_id})

    return started, ended
