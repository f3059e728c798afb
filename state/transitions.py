"""How room and bot statuses may change: the one transition table, checked where the statuses are written
(state/sessions_repository.py, state/bots_repository.py). A change the table does not allow raises
IllegalTransition and writes nothing.

Rooms. A room without a bot (`queued`, `recovering`) may only get one (`starting`), wait (`queued`,
`recovering`) or close; it never jumps to a state only a bot's page can report, so a stale report can never
make a botless room look live. Between the page's own states (`starting` … `idle`, `leaving`) the page decides,
as its state machine does (bot_page/js/bot.js); a room that is `leaving` only closes, or waits for a relaunch
after a server restart. A closed room (`ended`, `failed`) reopens only through a restart (`reopen`, while its
session is active: RoomClosed otherwise) to `recovering`, `queued` or `starting`; its closing words may be
corrected by another close.

Bots. A bot row is `starting` from its launch until its end: `ended` (it left as asked), `stopped` (its attempt
ended otherwise) or `lost` (its manager died). An end is written once; a second end changes nothing.
"""

from __future__ import annotations

from enum import StrEnum

from state.vocabulary import BOT_STATES, RoomStatus


class IllegalTransition(ValueError):
    """A status change the transition table does not allow."""


_CLOSED = frozenset({RoomStatus.ended, RoomStatus.failed})
_BOTLESS = frozenset({RoomStatus.queued, RoomStatus.recovering})
# The states a bot's page reports while its bot is on its way or in the meeting (not its ends).
_PAGE = frozenset(BOT_STATES) - _CLOSED - {RoomStatus.leaving}

ROOM_TRANSITIONS: dict[RoomStatus, frozenset[RoomStatus]] = {
    **{status: _BOTLESS | {RoomStatus.starting} | _CLOSED for status in _BOTLESS},
    **{status: _PAGE | {RoomStatus.leaving, RoomStatus.recovering} | _CLOSED for status in _PAGE},
    RoomStatus.leaving: frozenset({RoomStatus.leaving, RoomStatus.recovering}) | _CLOSED,
    **{status: _CLOSED for status in _CLOSED},
}
# Where a closed room may go when a restart reopens it.
REOPENED = frozenset({RoomStatus.recovering, RoomStatus.queued, RoomStatus.starting})


def check_room(previous: RoomStatus, status: RoomStatus, *, reopen: bool = False) -> None:
    """Raise IllegalTransition unless a room may go from `previous` to `status` (`reopen`: a restart)."""
    allowed = ROOM_TRANSITIONS[previous] | (REOPENED if reopen and previous in _CLOSED else frozenset())
    if status is not previous and status not in allowed:
        raise IllegalTransition(f"a room cannot go from {previous.value} to {status.value}")


class BotStatus(StrEnum):
    starting = "starting"
    ended = "ended"
    stopped = "stopped"
    lost = "lost"


BOT_TRANSITIONS: dict[BotStatus, frozenset[BotStatus]] = {
    BotStatus.starting: frozenset({BotStatus.ended, BotStatus.stopped, BotStatus.lost}),
    BotStatus.ended: frozenset(),
    BotStatus.stopped: frozenset(),
    BotStatus.lost: frozenset(),
}


def check_bot_end(status: str) -> BotStatus:
    """The end `status` as a BotStatus; IllegalTransition unless a starting bot may end so."""
    try:
        end = BotStatus(status)
    except ValueError:
        raise IllegalTransition(f"a bot cannot end as {status!r}") from None
    if end not in BOT_TRANSITIONS[BotStatus.starting]:
        raise IllegalTransition(f"a bot cannot go from starting to {end.value}")
    return end
