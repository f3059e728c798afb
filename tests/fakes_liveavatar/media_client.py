"""A Python client of the media socket (what the stand-in SDK speaks), to test the conversation without a browser."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


@dataclass
class Received:
    at: float
    message: dict[str, Any]


@dataclass
class MediaClient:
    socket: ClientConnection
    info: dict[str, Any]
    received: list[Received] = field(default_factory=list)
    audio_bytes: dict[str, int] = field(default_factory=dict)
    close_code: int | None = None
    _current_utterance: str | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            async for raw in self.socket:
                if isinstance(raw, bytes):
                    key = self._current_utterance or "?"
                    self.audio_bytes[key] = self.audio_bytes.get(key, 0) + len(raw)
                    continue
                message = json.loads(raw)
                if message.get("type") == "audio.begin":
                    self._current_utterance = message["utterance_id"]
                self.received.append(Received(loop.time(), message))
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.socket.close_code
            self._changed.set()

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        return [
            item.message["data"]
            for item in self.received
            if item.message["type"] == "agent-response"
            and (event_type is None or item.message["data"]["event_type"] == event_type)
        ]

    def timed(self, event_type: str) -> list[tuple[float, dict[str, Any]]]:
        return [
            (item.at, item.message["data"])
            for item in self.received
            if item.message["type"] == "agent-response" and item.message["data"]["event_type"] == event_type
        ]

    def messages(self, kind: str) -> list[dict[str, Any]]:
        return [item.message for item in self.received if item.message["type"] == kind]

    async def wait(self, condition: Callable[[], bool], within: float = 20.0) -> None:
        async def loop() -> None:
            while not condition():
                self._changed.clear()
                if self.close_code is not None and not condition():
                    raise AssertionError(f"socket closed ({self.close_code}) before the condition held")
                await self._changed.wait()

        await asyncio.wait_for(loop(), within)

    async def wait_event(self, event_type: str, count: int = 1, within: float = 20.0) -> list[dict[str, Any]]:
        await self.wait(lambda: len(self.events(event_type)) >= count, within)
        return self.events(event_type)

    async def command(self, event_type: str, **fields: Any) -> str:
        event_id = str(uuid.uuid4())
        await self.socket.send(
            json.dumps({"type": "agent-control", "data": {"event_id": event_id, "event_type": event_type, **fields}})
        )
        return event_id

    async def speak_as_user(self, pcm: bytes, frame_bytes: int = 640) -> None:
        await self.socket.send(json.dumps({"type": "user.audio_start"}))
        for offset in range(0, len(pcm), frame_bytes * 10):
            await self.socket.send(pcm[offset : offset + frame_bytes * 10])
        await self.socket.send(json.dumps({"type": "user.audio_end"}))


@contextlib.asynccontextmanager
async def media_client(media_url: str) -> AsyncIterator[MediaClient]:
    async with connect(media_url, origin="http://127.0.0.1:1") as socket:  # type: ignore[arg-type]
        info = json.loads(await asyncio.wait_for(socket.recv(), 20))
        assert info["type"] == "session.info", info
        client = MediaClient(socket, info)
        pump = asyncio.create_task(client._pump())
        try:
            yield client
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump


async def closed_with(url: str) -> int | None:
    """Connect and return the close code the service answers with."""
    async with connect(url) as socket:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.wait_for(socket.recv(), 20)
        return socket.close_code
