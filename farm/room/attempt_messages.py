"""What reaches a bot attempt's supervisor, typed: one queue per attempt carries the page's reports (parsed once,
where they arrive), its browser's notices, the farm's commands and the avatar's own verdicts. The supervisor
reads them in order, so a report and a command never race."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from farm.room.commands import RoomCommand
from farm.room.page_messages import BadReport, EventReport, Heartbeat, Pulse, StateReport, parse_report


@dataclass(frozen=True)
class Command:
    """The farm asks the attempt to end (see RoomCommand)."""

    command: RoomCommand


@dataclass(frozen=True)
class PageReported:
    """A report of the page, read and scrubbed (farm/room/page_messages.py)."""

    report: StateReport | EventReport | Heartbeat


@dataclass(frozen=True)
class UnreadableReport:
    """A report the farm could not read: recorded as `bot.bad_report`, never trusted."""

    error: str


@dataclass(frozen=True)
class BrowserNotice:
    """The bot's browser said something happened to it (`browser.disconnected`, `page.crashed`, `node.lost`...)."""

    kind: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefreshAvatar:
    """New instructions: the live avatar gets a fresh session with them."""


@dataclass(frozen=True)
class AvatarFailed:
    """The room's avatar cannot go on (refused for good, or its failure budget spent): the attempt ends."""

    reason: str
    words: str | None = None


@dataclass(frozen=True)
class AllowanceSpent:
    """The professor's monthly allowance ran out while the avatar runs: it stops, the bot stays (`words` say why)."""

    words: str


@dataclass(frozen=True)
class PulseAnswered:
    """The page's answer when the farm asked it, after a late heartbeat, whether it still beats (farm/room/
    pulse_question.py); `pulse` is None when it did not answer, and `problem` says why."""

    pulse: Pulse | None
    problem: str | None = None


AttemptMessage = (
    Command
    | PageReported
    | UnreadableReport
    | BrowserNotice
    | RefreshAvatar
    | AvatarFailed
    | AllowanceSpent
    | PulseAnswered
)


def arrived(message: dict[str, Any]) -> PageReported | UnreadableReport:
    """A page report as it arrives through the binding, parsed once."""
    try:
        return PageReported(parse_report(message))
    except BadReport as exc:
        return UnreadableReport(str(exc))
