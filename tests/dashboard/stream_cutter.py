"""An ASGI wrapper for the tests that drops the event stream like a flaky network would: it ends open
`/api/events` responses on demand, can refuse the next reconnections with 503, and records what each
stream request asked for (Last-Event-ID, since) and which event ids it delivered."""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVENTS_PATH = "/api/events"
ID_LINE = re.compile(rb"^id: ?(\d+)\r?$", re.MULTILINE)


@dataclass
class StreamRequest:
    last_event_id: str | None
    since: str | None
    refused: bool = False
    delivered: list[int] = field(default_factory=list)


class StreamCutter:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[StreamRequest] = []
        self._open: set[asyncio.Event] = set()
        self._refuse = 0

    # ---- what the test does -------------------------------------------------------------------------------

    def cut(self) -> int:
        """End every open event stream now; returns how many were cut."""
        count = len(self._open)
        for cut in list(self._open):
            cut.set()
        return count

    def refuse_next(self, count: int) -> None:
        """Answer the next `count` event-stream requests with 503 (EventSource then gives up on its own)."""
        self._refuse = count

    @property
    def open_streams(self) -> int:
        return len(self._open)

    def delivered(self) -> list[int]:
        return [event_id for request in self.requests for event_id in request.delivered]

    # ---- ASGI ---------------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != EVENTS_PATH:
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        query = parse_qs(scope.get("query_string", b"").decode())
        record = StreamRequest(headers.get("last-event-id"), (query.get("since") or [None])[0])
        self.requests.append(record)
        if self._refuse > 0:
            self._refuse -= 1
            record.refused = True
            await send({"type": "http.response.start", "status": 503, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"stream refused by the test", "more_body": False})
            return
        await self._follow(scope, receive, send, record)

    async def _follow(self, scope: Scope, receive: Receive, send: Send, record: StreamRequest) -> None:
        cut = asyncio.Event()
        closed = False

        async def guarded_send(message: Message) -> None:
            if closed:
                return
            if message["type"] == "http.response.start" and message.get("status") == 200:
                self._open.add(cut)
            if message["type"] == "http.response.body":
                record.delivered.extend(int(m) for m in ID_LINE.findall(message.get("body", b"")))
            await send(message)

        async def guarded_receive() -> Message:
            waiting = asyncio.ensure_future(receive())
            stop = asyncio.ensure_future(cut.wait())
            done, pending = await asyncio.wait({waiting, stop}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            if waiting in done:
                return waiting.result()
            return {"type": "http.disconnect"}

        app_task = asyncio.ensure_future(self.app(scope, guarded_receive, guarded_send))
        stop = asyncio.ensure_future(cut.wait())
        try:
            done, _ = await asyncio.wait({app_task, stop}, return_when=asyncio.FIRST_COMPLETED)
            if app_task in done:
                app_task.result()
                return
            closed = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            app_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await app_task
        finally:
            stop.cancel()
            self._open.discard(cut)
