"""Errors a FarmManager raises to the API, str() of each a sentence a professor can read; and `first_line`, how any
other exception is shown in one line."""


class FarmError(Exception):
    """The farm cannot do what was asked."""


class RoomNotReady(FarmError):
    """The room has no bot that can take the command right now."""


class SessionRefuses(RoomNotReady):
    """The session forbids it now: it is ending or ended, or its credit budget is spent."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first non-blank line of `exc`'s message, at most `limit` characters; its type's name when it has
    none (a timeout's message is empty)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()[:limit]
    return type(exc).__name__
