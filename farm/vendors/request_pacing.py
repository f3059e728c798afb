"""Pacing of vendor calls: at most N calls of one endpoint with one key start in any one-second span.

LiveAvatar counts requests per caller (the API key) and per endpoint (method and path, path parameters ignored)
over a fixed one-second window and answers 429 beyond its limit (docs.liveavatar.com, Rate Limits). When a class
opens many rooms at once every room mints a session token at the same moment; pacing them here keeps the farm
under the limit instead of collecting 429s. A sliding window is used because a leaky bucket of the same rate can
put up to twice its rate into one of the vendor's fixed windows.

Pacers are shared by every client with the same key on one event loop (the farm's client, the catalog's, the
doctor's), and the key itself is kept only as a digest.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import weakref
from collections import deque
from collections.abc import Callable

# Path segments that name a thing (a session, a context, an avatar): counted as one endpoint, as LiveAvatar does.
_FIXED_SEGMENTS = frozenset({"token", "start", "stop", "keep-alive", "public", "transcript"})


def endpoint_of(method: str, path: str) -> str:
    """`POST /v1/contexts/{id}` for `POST /v1/contexts/3f2…`: the vendor's unit of counting."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    named = [
        part if index < 2 or part in _FIXED_SEGMENTS else "{id}"  # v1/<collection>/<id or action>/...
        for index, part in enumerate(parts)
    ]
    return f"{method.upper()} /{'/'.join(named)}"


class Pacer:
    """Lets at most `rate` calls start within any `period` seconds; waiters go in arrival order."""

    def __init__(self, rate: int, period: float = 1.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate < 1:
            raise ValueError("a pacer needs a rate of at least one call per period")
        self.rate = rate
        self.period = period
        self._clock = clock
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def wait_turn(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                while self._starts and now - self._starts[0] >= self.period:
                    self._starts.popleft()
                if len(self._starts) < self.rate:
                    self._starts.append(now)
                    return
                await asyncio.sleep(self._starts[0] + self.period - now)


_pacers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str, str, int], Pacer]] = (
    weakref.WeakKeyDictionary()
)


def key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def pacer_for(base_url: str, api_key: str, endpoint: str, rate: int) -> Pacer:
    """The one pacer of this key and endpoint (at this base URL) on the running loop."""
    loop = asyncio.get_running_loop()
    pacers = _pacers.setdefault(loop, {})
    name = (base_url.rstrip("/"), key_digest(api_key), endpoint, rate)
    pacer = pacers.get(name)
    if pacer is None:
        pacer = pacers[name] = Pacer(rate)
    return pacer
