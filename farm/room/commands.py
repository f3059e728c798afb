"""Commands to a room's runner, typed: what the farm manager (and through it the API) may ask of a room, and
which of them stop it for good. The runner and its bot supervisor read only these; the outcome each gives the
recovery policy is named here once."""

from __future__ import annotations

from enum import StrEnum


class RoomCommand(StrEnum):
    leave = "leave"  # the professor took the bot out of the room
    restart = "restart"  # a fresh bot attempt (and avatar) for the room
    shutdown = "shutdown"  # the server is going down: the room stays wanted and start-up relaunches it
    session_ended = "session_ended"
    budget_reached = "budget_reached"  # the session's credit budget is spent

    @property
    def stops(self) -> bool:
        """True for a command after which the room gets no new attempt (a restart only ends the current one)."""
        return self in STOP_COMMANDS

    @property
    def outcome(self) -> str:
        """The cause the attempt ends with (a reason of state/vocabulary.py, read by the recovery policy)."""
        return _OUTCOMES.get(self, self.value)


STOP_COMMANDS = frozenset(
    {RoomCommand.leave, RoomCommand.shutdown, RoomCommand.session_ended, RoomCommand.budget_reached}
)
_OUTCOMES = {
    RoomCommand.leave: "left",
    RoomCommand.restart: "restart_requested",
    RoomCommand.shutdown: "server_restart",
}
