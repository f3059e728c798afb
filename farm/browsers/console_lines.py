"""What a bot page's console lines, errors and own reports become before the farm stores them: URLs without
their query strings and fragments (LiveKit access tokens, signatures and bot tickets travel there), no bot
ticket, bearer token, JWT or other long opaque token, and at most a burst of lines then a steady few per
interval for each bot, with one line saying how many were dropped."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Absolute URLs (http, https, ws, wss, blob:…): everything from the first ? or # to the end of the URL goes.
_ABSOLUTE_URL = re.compile(r"""((?:blob:)?(?:https?|wss?)://[^\s?#'"<>`]*)[?#][^\s'"<>`]*""", re.IGNORECASE)
# A query string left over (relative URLs such as /rtc?access_token=…): `?name=value…` up to white space.
_QUERY = re.compile(r"""\?[A-Za-z0-9_.\-\[\]%]+=[^\s'"<>`]*""")
# The bot page's own one-time URL carries its ticket in the path.
_BOT_TICKET = re.compile(r"/bot/[A-Za-z0-9_\-]{8,}")
# Credentials that travel outside URLs: an Authorization header's value, a JWT (LiveKit and LiveAvatar session
# tokens, Zoom's meeting signature), a webhook secret, and any long run of token characters mixing letters and
# digits (API keys, opaque tokens); ids such as UUIDs (36 characters) stay.
_BEARER = re.compile(r"\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]*)?")
_WEBHOOK_SECRET = re.compile(r"\bwhsec_[A-Za-z0-9+/=]+")
_LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9_\-])(?=[A-Za-z0-9_\-]*[0-9])(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{40,}")
REMOVED = "?…"
HIDDEN = "…"
TEXT_LIMIT = 500

BURST = 30
PER_INTERVAL = 10
INTERVAL_SECONDS = 60.0


def without_secrets(text: str) -> str:
    """`text` with every URL's query string and fragment, any bot ticket and any bearer-like token removed; at
    most 500 characters."""
    text = _ABSOLUTE_URL.sub(lambda m: m.group(1) + REMOVED, text)
    text = _QUERY.sub(REMOVED, text)
    text = _BOT_TICKET.sub("/bot/…", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {HIDDEN}", text)
    text = _JWT.sub(HIDDEN, text)
    text = _WEBHOOK_SECRET.sub(HIDDEN, text)
    text = _LONG_TOKEN.sub(HIDDEN, text)
    return text[:TEXT_LIMIT]


def scrubbed(value: Any, *, depth: int = 4) -> Any:
    """A report's detail as the farm stores it: every text through without_secrets, nesting kept to `depth`
    levels and every list or object to its first 50 entries."""
    if isinstance(value, str):
        return without_secrets(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if depth <= 0:
        return HIDDEN
    if isinstance(value, dict):
        return {without_secrets(str(k))[:100]: scrubbed(v, depth=depth - 1) for k, v in list(value.items())[:50]}
    if isinstance(value, list | tuple):
        return [scrubbed(v, depth=depth - 1) for v in list(value)[:50]]
    return without_secrets(str(value))


@dataclass
class ConsoleBudget:
    """A token bucket per bot: `burst` lines at once, refilled with `per_interval` lines every `interval`
    seconds. Lines beyond it are counted, for the caller to tell once (`take_dropped`)."""

    burst: int = BURST
    per_interval: int = PER_INTERVAL
    interval: float = INTERVAL_SECONDS
    clock: Callable[[], float] = time.monotonic
    dropped: int = 0
    _tokens: float = field(init=False)
    _at: float = field(init=False)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._at = self.clock()

    def admit(self) -> bool:
        """Whether one more line may be stored now (counted as dropped when not)."""
        now = self.clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.per_interval / self.interval)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.dropped += 1
        return False

    def take_dropped(self) -> int:
        """How many lines were dropped since the last call (then zero)."""
        count, self.dropped = self.dropped, 0
        return count

    def dropped_words(self, count: int) -> str:
        return (
            f"{count} console line{'s' if count != 1 else ''} dropped (more than {self.burst} at once or "
            f"{self.per_interval} per {self.interval:g} s)"
        )


def launch_failure(exc: BaseException, *, most: int = 6) -> str:
    """What a failed Chromium launch or connection says, on one log line: Playwright's first line, then the
    browser's last words from its log (how its process exited, what it wrote to stderr), secrets removed."""
    lines = str(exc).splitlines()
    said: dict[str, None] = {}  # Playwright repeats the browser's log in its call log, each line after "- "
    for line in lines[1:]:
        if "<process did exit" in line or "][err]" in line:
            said[line.strip().removeprefix("- ")] = None
    return " | ".join(without_secrets(line) for line in [*(lines[:1] or [type(exc).__name__]), *list(said)[-most:]])
