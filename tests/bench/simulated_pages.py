"""Simulated bot pages for the department benchmark: what bot_page/js/bot.js and reporter.js send the farm, without
a browser, Zoom or media.

The pages host is a WebSocket server the farm's SimulatedNode (tests/bench/simulated_node.py) connects to. For
each bot the farm opens, a SimulatedPage loads the bot's one-time URL from the farm over HTTP (as Chromium would;
the page's config comes from that HTML), then plays the page's part, with the typed messages of
farm/room/page_messages.py:

* the join: starting → joining → in_main_session → joining_breakout → in_room (its breakout room named);
* a heartbeat every 2 s with the page's media stats, and every 5 s a 160 px JPEG thumbnail;
* with a student in the room, `avatar.wanted`; on the farm's startAvatar, the vendor session is started with
  its token at LiveAvatar (POST /v1/sessions/start, what the web SDK does), then `avatar.ready` and `live`;
* then a conversation: every `talk_every_s` a student speaks (student.speaking, a transcript line) and the
  avatar answers (avatar.talking, a transcript line), each line carrying a marker whose send time is kept so
  that dashboards can time its arrival (Latencies);
* declineAvatar, stopAvatar and leave are obeyed as the page does (asking again later, idling, leaving).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from farm.room.page_messages import (
    AvatarWanted,
    DeclineAvatar,
    EventReport,
    Heartbeat,
    MediaStats,
    StartAvatar,
    StateReport,
    TranscriptDetail,
)
from state.vocabulary import AvatarWant, EventKind, RoomStatus

HEARTBEAT_S = 2.0
THUMBNAIL_S = 5.0
JOIN_STEP_S = 0.3  # between the join's states (a real join takes seconds; the farm's work per state is the same)
CONFIG = re.compile(r'<script type="application/json" id="avatarfarm-config">(.*?)</script>', re.DOTALL)
MARKER = re.compile(r"\[m:([0-9]+)\]")
PAGE_COMMAND = re.compile(r"window\.avatarfarm\.(\w+)\(")


@cache
def thumbnail() -> str:
    """A 160×90 JPEG data URL like the page's (what its camera sends, scaled down): about 4 KiB."""
    from PIL import Image

    noise = random.Random(7)
    image = Image.new("RGB", (160, 90))
    image.putdata([(noise.randrange(90, 140), noise.randrange(60, 200), 120) for _ in range(160 * 90)])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=40)
    import base64

    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


@dataclass
class Latencies:
    """Send times of marked transcript lines (pages) and their arrival on a dashboard's event stream."""

    sent: dict[int, float] = field(default_factory=dict)
    seen_s: list[float] = field(default_factory=list)
    seen_at: list[float] = field(default_factory=list)  # when each timed line was sent (time.monotonic())
    counting: bool = False
    _markers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def mark(self) -> int:
        marker = next(self._markers)
        self.sent[marker] = time.monotonic()
        return marker

    def arrived(self, text: str) -> None:
        found = MARKER.search(text)
        if found is None:
            return
        sent = self.sent.pop(int(found.group(1)), None)
        if sent is not None and self.counting:
            self.seen_s.append(time.monotonic() - sent)
            self.seen_at.append(sent)


@dataclass
class PageCounts:
    reports: int = 0
    heartbeats: int = 0
    transcript_lines: int = 0
    avatar_starts: int = 0
    declines: int = 0
    refused_commands: int = 0
    last_decline: str = ""


Send = Callable[[dict[str, Any]], Awaitable[None]]


class SimulatedPage:
    def __init__(
        self, number: int, url: str, send: Send, http: httpx.AsyncClient, host: PagesHost, *, talk_every_s: float
    ) -> None:
        self.number = number
        self.url = url
        self._send = send
        self.http = http
        self.host = host
        self.talk_every_s = talk_every_s
        self.config: dict[str, Any] = {}
        self.state: RoomStatus = RoomStatus.starting
        self.room: str | None = None
        self.avatar_session: str | None = None
        self.asking = False
        self.declined_until = 0.0
        self.tasks: list[asyncio.Task[None]] = []
        self.ended = False
        self.opened_at = time.monotonic()

    @property
    def humans(self) -> list[str]:
        return [f"{self.config.get('room_name', 'Room')} student"] if self.room else []

    async def load(self) -> int:
        response = await self.http.get(self.url)
        if response.status_code == 200:
            found = CONFIG.search(response.text)
            self.config = json.loads(found.group(1)) if found else {}
            self.tasks = [
                asyncio.create_task(self._heartbeats(), name=f"heartbeats {self.number}"),
                asyncio.create_task(self._run(), name=f"page {self.number}"),
            ]
        return response.status_code

    async def report(self, message: StateReport | EventReport | Heartbeat) -> None:
        if self.ended:
            return
        counts = self.host.counts
        counts.reports += 1
        counts.heartbeats += isinstance(message, Heartbeat)
        body = message.model_dump(mode="json", exclude_none=False)
        body["at"] = int(time.time() * 1000)
        with contextlib.suppress(ConnectionClosed):
            await self._send({"op": "report", "bot": self.number, "seq": counts.reports, "report": body})

    async def set_state(self, state: RoomStatus, **detail: Any) -> None:
        self.state = state
        report = StateReport(type="state", state=state, detail={"room": self.room, **detail})
        await self.report(report)

    async def event(self, kind: EventKind, detail: dict[str, Any]) -> None:
        await self.report(EventReport(type="event", kind=kind, detail=detail))

    async def _heartbeats(self) -> None:
        last_thumbnail = 0.0
        while not self.ended:
            now = time.monotonic()
            stats = MediaStats(
                state=self.state.value,
                room=self.room,
                humans_in_room=len(self.humans),
                avatar_ready=self.avatar_session is not None,
                avatar_session_id=self.avatar_session,
                mic_open=self.avatar_session is not None,
                level_in=0.02,
                level_out=0.05 if self.avatar_session else 0.0,
            )
            frames = int((now - self.opened_at) * 25)
            bridge = {  # what the media bridge's stats() adds (bot_page/js/media-bridge.js), at its usual values
                "compositor": {"fps": 25, "width": 1280, "height": 720, "frames": frames},
                "avatar_frames": frames if self.avatar_session else 0,
                "avatar_playing": self.avatar_session is not None,
                "outbound_video": {"framesSent": frames, "fps": 25, "width": 1280, "height": 720},
                "audio_context": "running",
                "speech_age_s": 3,
            }
            beat = Heartbeat(
                type="heartbeat",
                state=self.state.value,
                stats=MediaStats.model_validate({**bridge, **stats.model_dump()}),
            )
            if now - last_thumbnail >= THUMBNAIL_S:
                beat.thumbnail, last_thumbnail = thumbnail(), now
            await self.report(beat)
            await asyncio.sleep(HEARTBEAT_S)

    async def _run(self) -> None:
        await self.set_state(RoomStatus.starting)
        await asyncio.sleep(random.uniform(0, JOIN_STEP_S))
        for state in (RoomStatus.joining, RoomStatus.in_main_session):
            await self.set_state(state)
            await asyncio.sleep(JOIN_STEP_S)
        self.room = str(self.config.get("zoom", {}).get("breakout_room") or self.config.get("room_name"))
        await self.set_state(RoomStatus.joining_breakout)
        await asyncio.sleep(JOIN_STEP_S)
        await self.set_state(RoomStatus.in_room)
        while not self.ended:
            # As bot.js's consider(): a page asks from its room (or idle), never while an avatar connects.
            waiting = self.state in (RoomStatus.in_room, RoomStatus.idle) and self.avatar_session is None
            if waiting and not self.asking and time.monotonic() >= self.declined_until:
                await self._ask()
            await asyncio.sleep(1.0)  # the page considers its room every poll (config.zoom.poll_ms)

    async def _ask(self) -> None:
        self.asking = True
        why = AvatarWant.joined_room if self.config.get("avatar", {}).get("start") == "on_join" else None
        why = why or AvatarWant.human_arrived
        await self.set_state(RoomStatus.avatar_connecting, why=why.value)
        wanted = AvatarWanted(why=why, humans=self.humans, room=self.room)
        await self.event(EventKind.avatar_wanted, wanted.model_dump(mode="json"))

    # ---- the farm's commands ----------------------------------------------------------------------------

    async def command(self, expression: str, arg: Any) -> Any:
        # The farm's commands are `window.avatarfarm.<name>(...)` (farm/room/page_commands.py): the name says which.
        called = PAGE_COMMAND.search(expression)
        name = called.group(1) if called else None
        if name == "startAvatar":
            return await self._start_avatar(StartAvatar.model_validate(arg))
        if name == "declineAvatar":
            declined = DeclineAvatar.model_validate(arg)
            self.host.counts.declines += 1
            self.host.counts.last_decline = declined.words
            self.asking = False
            self.declined_until = time.monotonic() + declined.retry_after_ms / 1000
            if self.state is RoomStatus.avatar_connecting:
                await self.set_state(RoomStatus.in_room, words=declined.words)
            return {"state": self.state.value}
        if name == "stopAvatar":
            self.avatar_session = None
            self.declined_until = float("inf")  # stopped for good (a final reason): the page waits for a restart
            await self.set_state(RoomStatus.idle)
            return {"state": self.state.value}
        if name == "leave":
            await self.leave()
            return None
        if name in ("say", "interrupt", "knowBots", "sendChat"):
            return None
        self.host.counts.refused_commands += 1
        raise ValueError(f"the simulated page has no command {expression!r}")

    async def _start_avatar(self, command: StartAvatar) -> dict[str, Any]:
        self.asking = False
        if self.room is None or self.ended:
            raise ValueError("the bot is no longer in its breakout room")
        self.tasks.append(asyncio.create_task(self._go_live(command.session_token), name=f"live {self.number}"))
        return {"accepted": True}

    async def _go_live(self, token: str) -> None:
        api = str(self.config.get("liveavatar", {}).get("api_url") or "")
        response = await self.http.post(f"{api}/v1/sessions/start", headers={"Authorization": f"Bearer {token}"})
        if response.status_code >= 300:
            await self.event(EventKind.avatar_start_failed, {"message": f"start: HTTP {response.status_code}"})
            await self.set_state(RoomStatus.in_room)
            return
        self.avatar_session = str(response.json()["data"]["session_id"])
        self.host.counts.avatar_starts += 1
        await self.event(EventKind.avatar_ready, {"session_id": self.avatar_session})
        await self.set_state(RoomStatus.live, muted_by_host=False)
        self.tasks.append(asyncio.create_task(self._converse(), name=f"conversation {self.number}"))

    async def _converse(self) -> None:
        await asyncio.sleep(random.uniform(0, self.talk_every_s))
        while not self.ended and self.avatar_session is not None:
            await self._line("student", "student.speaking", "speaking", "Why does the recursion need a base case?")
            await asyncio.sleep(1.0)
            await self._line("avatar", "avatar.talking", "talking", "What would happen if it never stopped?")
            await asyncio.sleep(self.talk_every_s - 1.0)

    async def _line(self, role: str, signal: str, field: str, text: str) -> None:
        await self.event(EventKind(signal), {field: True})
        marker = self.host.latencies.mark()
        speaker = self.humans[0] if role == "student" and self.humans else None
        line = TranscriptDetail(role=role, text=f"{text} [m:{marker}]", speaker=speaker)  # type: ignore[arg-type]
        self.host.counts.transcript_lines += 1
        await self.event(EventKind.transcript, line.model_dump(mode="json"))
        await self.event(EventKind(signal), {field: False})

    async def leave(self) -> None:
        if self.ended:
            return
        await self.set_state(RoomStatus.leaving)
        await self.set_state(RoomStatus.ended)
        self.close()

    def close(self) -> None:
        self.ended = True
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()


class PagesHost:
    """The WebSocket server simulated pages live in; one farm connects to it."""

    def __init__(self, *, talk_every_s: float = 10.0) -> None:
        self.talk_every_s = talk_every_s
        self.latencies = Latencies()
        self.counts = PageCounts()
        self.pages: dict[int, SimulatedPage] = {}
        self.http = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=50))
        self._server: Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.url = ""

    async def start(self) -> str:
        self._server = await serve(self._connection, "127.0.0.1", 0, max_size=1 << 20)
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        for page in self.pages.values():
            page.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.http.aclose()

    async def _connection(self, socket: ServerConnection) -> None:
        async def send(message: dict[str, Any]) -> None:
            await socket.send(json.dumps(message))

        try:
            async for raw in socket:
                message = json.loads(raw)
                if message["op"] == "resolved":
                    continue
                task = asyncio.create_task(self._handle(message, send))
                self._handlers.add(task)
                task.add_done_callback(self._handlers.discard)
        except ConnectionClosed:
            pass

    async def _handle(self, message: dict[str, Any], send: Send) -> None:
        number, op = int(message["bot"]), message["op"]
        answer: dict[str, Any] = {"op": "answer", "call": message["call"]}
        try:
            if op == "open":
                page = SimulatedPage(number, message["url"], send, self.http, self, talk_every_s=self.talk_every_s)
                self.pages[number] = page
                answer["value"] = await page.load()
            elif op == "close":
                page = self.pages.pop(number)
                page.close()
            else:
                answer["value"] = await self.pages[number].command(message["expression"], message.get("arg"))
        except (KeyError, ValueError, httpx.HTTPError) as exc:
            answer["error"] = f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(ConnectionClosed):
            await send(answer)
