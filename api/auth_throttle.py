"""Failed credentials per client address: a bad bearer token, a forged or stale sign-in cookie, a wrong token
on the sign-in form. After ALLOWED failures within WINDOW_SECONDS an address is refused (429 with Retry-After)
until its oldest failure leaves the window; a guesser gets a few tries per window, a professor who mistyped
gets on at once. Addresses are forgotten when their failures are old, and at most MAX_ADDRESSES are held."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

ALLOWED = 10
WINDOW_SECONDS = 300.0
MAX_ADDRESSES = 10_000


@dataclass
class AuthThrottle:
    allowed: int = ALLOWED
    window: float = WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    max_addresses: int = MAX_ADDRESSES
    _failures: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def _recent(self, address: str) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        horizon = self.clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it may now."""
        failures = self._recent(address)
        if failures is None or len(failures) < self.allowed:
            return None
        return max(1, math.ceil(failures[-self.allowed] + self.window - self.clock()))

    def failed(self, address: str) -> None:
        failures = self._recent(address) or deque(maxlen=self.allowed)
        failures.append(self.clock())
        self._failures[address] = failures
        self._failures.move_to_end(address)
        while len(self._failures) > self.max_addresses:
            self._failures.popitem(last=False)


def wait_in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
