"""Errors a FarmManager raises to the API; str() of each is a sentence a professor can read."""


class FarmError(Exception):
    """The farm cannot do what was asked."""


class RoomNotReady(FarmError):
    """The room has no bot that can take the command right now."""


class SessionRefuses(RoomNotReady):
    """The session forbids it now: it is ending or ended, or its credit budget is spent."""
