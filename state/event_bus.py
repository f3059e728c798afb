"""In-process fan-out of committed events to live listeners (SSE streams, the farm, metrics)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from state.models import Event

DEFAULT_QUEUE_SIZE = 2000


class Subscription:
    """A listener's queue. A listener that falls behind is cut off (`lagged`) rather than slowing writers;
    it resumes from the event log by id, which is why every event has one."""

    def __init__(self, bus: EventBus, session_id: str | None, maxsize: int) -> None:
        self._bus = bus
        self.session_id = session_id
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=maxsize)
        self.lagged = False
        self.closed = False

    def _offer(self, event: Event) -> None:
        if self.closed:
            return
        if self.session_id is not None and event.session_id != self.session_id:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.lagged = True
            self._end()

    def _end(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._bus._remove(self)
        # Drop whatever is queued: a reader resumes from the log after the last id it delivered, so nothing
        # is lost, whereas delivering a queue that overflowed would skip events.
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    def close(self) -> None:
        self._end()

    async def get(self) -> Event | None:
        """The next event, or None once the subscription is closed (by the reader, the bus or lag)."""
        if self.closed and self._queue.empty():
            return None
        return await self._queue.get()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        event = await self.get()
        if event is None:
            raise StopAsyncIteration
        return event


class EventBus:
    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []

    def subscribe(self, session_id: str | None = None, maxsize: int | None = None) -> Subscription:
        subscription = Subscription(self, session_id, maxsize or DEFAULT_QUEUE_SIZE)
        self._subscriptions.append(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    @property
    def listeners(self) -> int:
        return len(self._subscriptions)

    def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            for subscription in list(self._subscriptions):
                subscription._offer(event)

    def close_all(self) -> None:
        for subscription in list(self._subscriptions):
            subscription.close()
