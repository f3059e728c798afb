"""QueuedFarm: a FarmManager with no browsers, the test double of the API's tests (the app's own default is the
browser farm, farm/factory.py). Rooms stay `queued`.

It is honest about having no bots: commands for a room are refused (the API answers 409), and ending a
session ends its rooms at once, since there is nothing to leave.
"""

from __future__ import annotations

from farm.browsers.node_pool import NodeStatus
from farm.errors import RoomNotReady
from farm.room.live_media import LiveMedia
from state.models import RoomStatus
from state.repository import Repository

NO_BOT = "This room has no bot yet: no browser farm is running on this server, so rooms stay queued."
LEFT_QUEUE = "Taken out of the queue by the professor before a bot started."


class QueuedFarm:
    def __init__(self, repository: Repository) -> None:
        self._repository = repository

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def is_ready(self) -> bool:
        return True

    def node_status(self) -> list[NodeStatus]:
        return []

    async def start_session(self, session_id: str) -> None:
        await self._repository.events.append(
            "session.queued", session_id=session_id, detail={"reason": "no browser farm is running on this server"}
        )

    async def end_session(self, session_id: str) -> None:
        await self._repository.sessions.end_open_rooms(session_id, reason="session ended before a bot was started")

    async def say(self, room_id: str, text: str) -> None:
        raise RoomNotReady(NO_BOT)

    async def interrupt(self, room_id: str) -> None:
        raise RoomNotReady(NO_BOT)

    async def restart_room(self, room_id: str) -> None:
        await self._repository.events.append(
            "room.restart_skipped", room_id=room_id, detail={"reason": "the room is still queued; nothing to restart"}
        )

    async def update_context(self, room_id: str, text: str) -> None:
        return None

    async def leave_room(self, room_id: str) -> None:
        await self._repository.sessions.set_room_status(
            room_id, RoomStatus.ended, reason="left", reason_text=LEFT_QUEUE
        )

    def live_media(self, room_id: str) -> LiveMedia | None:
        return None
