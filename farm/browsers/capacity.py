"""Bot slots of the farm: at most `size` bots at once (MAX_BOTS here, or the slots of the browser nodes that are
up); rooms beyond that wait in order (first come, first served) and are told how many rooms are ahead of them.
The size follows the nodes: a node lost shrinks it, a node back grows it and starts waiting rooms."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable


class Capacity:
    def __init__(self, size: int, *, on_release: Callable[[str], None] | None = None) -> None:
        self.size = size
        self._free = size
        self._waiting: list[tuple[str, asyncio.Future[None]]] = []
        self._running: set[str] = set()
        self._on_release = on_release

    def resize(self, size: int) -> None:
        """New number of slots; running bots keep theirs (the free count may go below zero meanwhile)."""
        self._free += size - self.size
        self.size = size
        self._wake()

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def queued(self) -> list[str]:
        return [room for room, _ in self._waiting]

    def _wake(self) -> None:
        while self._free > 0 and self._waiting:
            _, future = self._waiting.pop(0)
            if not future.done():
                self._free -= 1
                future.set_result(None)

    @contextlib.asynccontextmanager
    async def slot(self, room_id: str, *, on_wait: Callable[[int], Awaitable[None]]) -> AsyncIterator[None]:
        """Hold a bot slot for the block; while none is free, wait in line (on_wait gets the rooms ahead)."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
        else:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append((room_id, future))
            try:
                await on_wait(len(self._waiting) - 1)
                await future
            except BaseException:  # cancelled, or on_wait failed: leave the line without keeping a slot
                if future.done() and not future.cancelled():
                    self._free += 1  # granted meanwhile: give it back
                else:
                    future.cancel()
                    self._waiting = [(r, f) for r, f in self._waiting if f is not future]
                self._wake()
                raise
        self._running.add(room_id)
        try:
            yield
        finally:
            self._running.discard(room_id)
            self._free += 1
            if self._on_release is not None:
                self._on_release(room_id)
            self._wake()
