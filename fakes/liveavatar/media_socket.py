"""The stand-in SDK's media and event channel: one WebSocket per session, in place of the LiveKit room.

URL: the `media_url` of the start response, `ws://<host>/v1/ws/media?session_id=<id>&token=<livekit_client_token>`.
Cross-origin pages are accepted (no Origin check), as a LiveKit server accepts any page holding a token.

Page -> service (JSON text unless noted):
  {"type": "agent-control", "data": <command>}   the command JSON the real SDK publishes on topic agent-control
  {"type": "user.audio_start"} / binary frames / {"type": "user.audio_end"}
                                                 one utterance of the user, 16 kHz mono int16 little-endian PCM
Service -> page:
  {"type": "session.info", ...}                  avatar, resolution, fps, mode (first message)
  {"type": "agent-response", "data": <event>}    the event JSON the real service sends on topic agent-response
  {"type": "avatar.state", "state": "idle"|"listening"|"speaking"}
  {"type": "audio.begin", "utterance_id", "sample_rate", "text"} / binary frames (int16 PCM at sample_rate)
  / {"type": "audio.end"}                        the avatar's speech, sent slightly ahead of real time
  {"type": "audio.stop"}                         drop what is buffered (interrupt)
Close codes: 4401 bad token, 4404 unknown session, 4410 session not live; 1000 after session.stopped.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from fakes.liveavatar.socket_auth import admit

router = APIRouter()


class WebSocketChannel:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.websocket.send_text(json.dumps(message))

    async def send_bytes(self, data: bytes) -> None:
        await self.websocket.send_bytes(data)

    async def close(self, code: int, reason: str) -> None:
        await self.websocket.close(code, reason)


@router.websocket("/v1/ws/media")
async def media(websocket: WebSocket, session_id: str = "", token: str = "") -> None:
    admitted = await admit(websocket, session_id, token)
    if admitted is None:
        return
    service, session = admitted
    agent = service.agents.get(session.id)
    if agent is None or not session.is_active:
        await websocket.close(4410, "session is not live")
        return
    channel = WebSocketChannel(websocket)
    await agent.attach(channel)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("bytes") is not None:
                agent.user_audio_chunk(message["bytes"])
                continue
            with contextlib.suppress(ValueError):
                payload = json.loads(message.get("text") or "")
                if not isinstance(payload, dict):
                    continue
                kind = payload.get("type")
                if kind == "agent-control" and isinstance(payload.get("data"), dict):
                    await agent.handle_command(payload["data"])
                elif kind == "user.audio_start":
                    await agent.user_audio_start()
                elif kind == "user.audio_end":
                    await agent.user_audio_end()
    except WebSocketDisconnect:
        pass
    finally:
        await agent.detach(channel)
