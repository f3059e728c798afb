"""A small Server-Sent Events reader for tests (the wire format: id / event / data lines, blank line ends)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class SseMessage:
    id: str | None
    event: str
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


async def read_sse(response: httpx.Response) -> AsyncIterator[SseMessage]:
    """Yield each message of a streaming response; comments (pings) are skipped."""
    event_id: str | None = None
    event = "message"
    data: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield SseMessage(event_id, event, "\n".join(data))
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "id":
            event_id = value
        elif field == "event":
            event = value
        elif field == "data":
            data.append(value)


async def take(messages: AsyncIterator[SseMessage], count: int) -> list[SseMessage]:
    taken = []
    async for message in messages:
        taken.append(message)
        if len(taken) == count:
            break
    return taken
