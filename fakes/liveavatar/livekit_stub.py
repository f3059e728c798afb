"""Where the `livekit_url` of a start response points: a LiveKit server that refuses every connection.

The real web SDK (and anything else built on livekit-client) connects to `<livekit_url>/rtc` and, when the socket
fails, asks `<livekit_url>/rtc/validate` why. Offline there is no LiveKit server; this stub makes that failure
explicit (401 with a message naming the fake) and the call log shows the attempt.
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket
from fastapi.responses import PlainTextResponse

router = APIRouter()

REFUSAL = "fakes/liveavatar has no LiveKit server: use the stand-in SDK (/sdk/liveavatar-web-sdk.js)"


@router.websocket("/livekit/rtc")
async def livekit_signal(websocket: WebSocket) -> None:
    await websocket.close(4401, "no LiveKit server here")


@router.get("/livekit/rtc/validate")
async def livekit_validate() -> PlainTextResponse:
    return PlainTextResponse(REFUSAL, status_code=401)
