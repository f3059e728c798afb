"""The interface the API drives the farm through (FarmManager); its errors are in farm.errors.

The API validates and stores first, then calls the farm; the farm owns everything after that. Calls must
return quickly: a farm starts or ends work in the background and reports progress through the state store.
"""

from __future__ import annotations

from typing import Protocol

from farm.browsers.node_pool import NodeStatus
from farm.errors import FarmError, RoomNotReady
from farm.room.live_media import LiveMedia

__all__ = ["FarmError", "FarmManager", "LiveMedia", "NodeStatus", "RoomNotReady"]


class FarmManager(Protocol):
    async def start(self) -> None:
        """Begin work at server start (reconcile what the state store says should be running)."""

    async def stop(self) -> None:
        """Leave every meeting and stop every avatar before the server exits."""

    def is_ready(self) -> bool:
        """Whether the farm can take new sessions (for /readyz)."""

    def node_status(self) -> list[NodeStatus]:
        """The browser nodes the farm places bots on, up or down (for /readyz and /metrics)."""

    async def start_session(self, session_id: str) -> None:
        """Deploy a bot to every queued room of a stored session."""

    async def end_session(self, session_id: str) -> None:
        """Leave every meeting and stop every avatar of a session that is now `ending`."""

    async def say(self, room_id: str, text: str) -> None:
        """Make the room's avatar say `text` verbatim."""

    async def interrupt(self, room_id: str) -> None:
        """Stop the room's avatar mid-sentence."""

    async def restart_room(self, room_id: str) -> None:
        """Replace the room's bot with a fresh one."""

    async def leave_room(self, room_id: str) -> None:
        """The room's bot leaves the meeting and its avatar stops; the room ends (the session goes on)."""

    def live_media(self, room_id: str) -> LiveMedia | None:
        """The room's latest media picture from its bot's heartbeats, if it has a bot."""

    async def update_context(self, room_id: str, text: str) -> None:
        """Give the room's live avatar new instructions (already stored on the room)."""
