"""One-time bot page tickets: the farm stores a bot's page configuration under a random ticket, the API serves
the page once for it, within 60 seconds. The page URL is thus useless to anyone who sees it later, and a
launch whose page did not load revokes its ticket at once (its URL may sit in a browser's error page or log).
A launch issues its ticket once its browser is ready (farm/room/bot_launch.py), so the minute is the page's."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

TICKET_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class _Ticket:
    expires_at: float
    config: dict[str, Any]


class BotTickets:
    def __init__(self, ttl_seconds: float = TICKET_TTL_SECONDS) -> None:
        self._ttl = ttl_seconds
        self._tickets: dict[str, _Ticket] = {}

    def issue(self, config: dict[str, Any]) -> str:
        self._forget_expired()
        ticket = secrets.token_urlsafe(24)
        self._tickets[ticket] = _Ticket(time.monotonic() + self._ttl, config)
        return ticket

    def redeem(self, ticket: str) -> dict[str, Any] | None:
        """The configuration for `ticket`, once; None when unknown, used or expired."""
        found = self._tickets.pop(ticket, None)
        if found is None or found.expires_at < time.monotonic():
            return None
        return found.config

    def revoke(self, ticket: str) -> bool:
        """Make `ticket` unusable now; True when it was still redeemable."""
        found = self._tickets.pop(ticket, None)
        return found is not None and found.expires_at >= time.monotonic()

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for ticket in [t for t, v in self._tickets.items() if v.expires_at < now]:
            del self._tickets[ticket]

    def __len__(self) -> int:
        self._forget_expired()
        return len(self._tickets)
