"""The SDK stand-in's WebSocket: join, meeting state pushed to clients, client requests, WebRTC relay, media reports.

Protocol (JSON text frames). Client -> service: `join`, `request` {id, method, params}, `media`
{audio, muted, video}, `stats` {report}, `signal` {to, data}. Service -> client: `state` (the client's view of
the meeting), `joined`, `join_failed` {errorCode, reason}, `response` {id, ok, error, value?}, `event` {name, payload},
`signal` {from, data}, `remote-mute` {mute}, `closed` {reason}.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from fakes.zoom import errors
from fakes.zoom.admission import JoinRequest, admit
from fakes.zoom.client_requests import HANDLERS
from fakes.zoom.meetings import Meeting
from fakes.zoom.participants import Participant
from fakes.zoom.service import FakeZoomService

log = logging.getLogger(__name__)
router = APIRouter()


class SocketOutbox:
    """Messages queued for one socket; `close()` lets the writer flush them, then close the socket."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.closed = False

    def send(self, message: dict[str, Any]) -> None:
        if not self.closed:
            self.queue.put_nowait(message)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(None)


async def _write(ws: WebSocket, outbox: SocketOutbox) -> None:
    while True:
        message = await outbox.queue.get()
        if message is None:
            with contextlib.suppress(Exception):
                await ws.close(code=1000)
            return
        await ws.send_json(message)


@router.websocket("/sdk/ws")
async def signalling(ws: WebSocket) -> None:
    service: FakeZoomService = ws.app.state.fake_zoom
    # Pages of any origin may connect (the bot page lives on another origin), as with Zoom's own servers.
    await ws.accept()
    outbox = SocketOutbox()
    writer = asyncio.create_task(_write(ws, outbox))
    session = _Session(service, outbox)
    try:
        while not outbox.closed:
            message = await ws.receive_json()
            if isinstance(message, dict):
                session.handle(message)
    except (WebSocketDisconnect, RuntimeError, ValueError, KeyError):
        pass
    finally:
        session.disconnected()
        outbox.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(writer, timeout=5)


class _Session:
    """One client connection: not joined, then bound to one participant of one meeting."""

    def __init__(self, service: FakeZoomService, outbox: SocketOutbox) -> None:
        self.service = service
        self.outbox = outbox
        self.meeting: Meeting | None = None
        self.participant: Participant | None = None

    def handle(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "join":
            self._join(message)
            return
        meeting, p = self.meeting, self.participant
        if meeting is None or p is None or p.user_id not in meeting.participants:
            if op == "request":
                self._respond(message, errors.STATE_CLOSED)
            return
        if op == "request":
            self._request(meeting, p, message)
        elif op == "signal":
            target = meeting.find(_int(message.get("to")))
            if target is not None and meeting.relay_allowed(p, target):
                target.send({"op": "signal", "from": p.user_id, "data": message.get("data")})
        elif op == "media":
            meeting.update_media_state(
                p,
                audio="computer" if message.get("audio") else "",
                muted=bool(message.get("muted", True)),
                video=bool(message.get("video")),
            )
        elif op == "recording_consent":
            meeting.record_consent(p)
        elif op == "stats":
            report = message.get("report")
            if isinstance(report, dict):
                meeting.record_media_report(p, report)

    def disconnected(self) -> None:
        if self.meeting is not None and self.participant is not None:
            self.meeting.remove(self.participant, None)

    def _join(self, message: dict[str, Any]) -> None:
        if self.participant is not None:
            self.outbox.send({"op": "join_failed", "errorCode": 5012, "reason": "Duplicated join operation"})
            return
        request = JoinRequest(
            meeting_number=_str(message.get("meetingNumber")),
            user_name=_str(message.get("userName")),
            signature=_str(message.get("signature")),
            password=_str(message.get("password")),
            user_email=_str(message.get("userEmail")),
            customer_key=_str(message.get("customerKey")),
            zak=_str(message.get("zak")),
            obf_token=_str(message.get("obfToken")),
            recording_token=_str(message.get("recordingToken")),
            automated=bool(message.get("automated")),
        )
        service = self.service
        try:
            meeting, participant = admit(
                request,
                config=service.config,
                meetings=service.meetings,
                credentials=service.credentials,
                users=service.users,
            )
        except errors.JoinRefusal as refusal:
            log.info("join refused for %r: %s %s", request.user_name, refusal.error_code, refusal.reason)
            self.outbox.send({"op": "join_failed", **refusal.payload()})
            return
        older = meeting.find_duplicate(participant.name, participant.email, participant.zoom_user_id)
        if older is not None:
            meeting.remove(older, errors.CLOSED_DUPLICATED)
        participant.outbox = self.outbox
        self.meeting, self.participant = meeting, participant
        meeting.add(participant)
        participant.send({"op": "joined", "userId": participant.user_id})

    def _request(self, meeting: Meeting, p: Participant, message: dict[str, Any]) -> None:
        method = _str(message.get("method"))
        params = message.get("params")
        params = params if isinstance(params, dict) else {}
        handler = HANDLERS.get(method)
        if handler is None:
            self._respond(message, errors.OperationFailure("INVALID_OPERATION", f"unsupported: {method}", 2))
            return
        if p.on_hold and method not in ("leaveMeeting",):
            self._respond(message, errors.STATE_ON_HOLD)
            return
        try:
            after = handler(meeting, p, params)
        except errors.OperationFailure as failure:
            self._respond(message, failure)
            return
        except (ValueError, KeyError, TypeError) as exc:
            self._respond(message, errors.OperationFailure("INVALID_PARAMETERS", str(exc), 4003))
            return
        if isinstance(after, dict):
            self._respond(message, None, value=after)
            return
        self._respond(message, None)
        if after is not None:
            after()

    def _respond(
        self, message: dict[str, Any], failure: errors.OperationFailure | None, value: dict[str, Any] | None = None
    ) -> None:
        response: dict[str, Any] = {"op": "response", "id": message.get("id"), "ok": failure is None}
        if failure is not None:
            response["error"] = failure.payload()
        if value is not None:
            response["value"] = value
        self.outbox.send(response)


def _str(value: object) -> str:
    return "" if value is None else str(value)


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return -1
