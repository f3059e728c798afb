"""Which AvatarRoom serves which live session, the LiveKit server they all use, and the room faults armed for
the next sessions (admin_api.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from fakes.liveavatar.avatar_room import AvatarRoom, RoomFaults
from fakes.liveavatar.conversation import SessionAgent
from fakes.liveavatar.livekit_server import LiveKitEndpoint, LiveKitServer
from fakes.liveavatar.sessions import AvatarSession, SessionRegistry

RoomFaultKind = Literal["delay_participants", "refuse_microphone"]


@dataclass
class ArmedRoomFault:
    """Applies to the next `remaining` sessions started."""

    kind: RoomFaultKind
    remaining: int
    delay_s: float = 0.0
    hits: int = 0
    started_sessions: list[str] = field(default_factory=list)

    def schema(self) -> dict[str, Any]:
        return {
            "fault": self.kind,
            "remaining": self.remaining,
            "delay_s": self.delay_s,
            "hits": self.hits,
            "sessions": list(self.started_sessions),
        }


class RoomDirectory:
    def __init__(
        self, livekit: LiveKitServer, registry: SessionRegistry, fps: float, *, stamp_frames: bool = False
    ) -> None:
        self.livekit = livekit
        self.registry = registry
        self.fps = fps
        self.stamp_frames = stamp_frames
        self.armed: list[ArmedRoomFault] = []
        self._rooms: dict[str, AvatarRoom] = {}

    async def endpoint(self) -> LiveKitEndpoint:
        return await self.livekit.ensure_started()

    def _take_faults(self, session_id: str) -> RoomFaults:
        delay, refuse = 0.0, False
        for fault in self.armed:
            if fault.remaining <= 0:
                continue
            fault.remaining -= 1
            fault.hits += 1
            fault.started_sessions.append(session_id)
            if fault.kind == "delay_participants":
                delay = max(delay, fault.delay_s)
            else:
                refuse = True
        return RoomFaults(join_delay_s=delay, refuse_microphone=refuse)

    def open(self, session: AvatarSession, agent: SessionAgent, endpoint: LiveKitEndpoint) -> AvatarRoom:
        room = AvatarRoom(
            session,
            agent,
            self.registry,
            endpoint,
            fps=self.fps,
            faults=self._take_faults(session.id),
            stamp_frames=self.stamp_frames,
        )
        self._rooms[session.id] = room
        room.open()
        return room

    def get(self, session_id: str) -> AvatarRoom | None:
        return self._rooms.get(session_id)

    async def close(self, session_id: str) -> None:
        """The session ended (session.stopped already sent): delete its room."""
        room = self._rooms.pop(session_id, None)
        if room is not None:
            await room.shutdown(delete_room=True)

    async def shutdown(self) -> None:
        """The fake is going down: leave every room, then stop the LiveKit server (pages lose their rooms)."""
        for session_id in list(self._rooms):
            await self._rooms.pop(session_id).shutdown(delete_room=False)
        await self.livekit.stop()
