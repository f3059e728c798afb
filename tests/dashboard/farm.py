"""ScriptedFarm: a FarmManager for dashboard tests. It records every call (like the API tests' RecordingFarm)
and gives the test a script of what a real farm does to a room: a bot starts, joins, waits in the main
session, reaches its room, its avatar connects for a student, it goes live; heartbeats with media and
thumbnails; a crash; a recovery; leaving and ending."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from farm.room.live_media import LiveMedia, LiveMediaStore
from farm.room.page_messages import MediaStats
from state import inspection
from state.models import AvatarSessionStatus, RoomStatus, TranscriptRole
from state.repository import Repository

JOIN_PATH = (
    RoomStatus.starting,
    RoomStatus.joining,
    RoomStatus.waiting_room,
    RoomStatus.in_main_session,
    RoomStatus.joining_breakout,
    RoomStatus.in_room,
    RoomStatus.avatar_connecting,
    RoomStatus.live,
)
CRASH_TEXT = "The bot's browser crashed; no retries left."


@dataclass
class ScriptedFarm:
    repository: Repository
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    media: LiveMediaStore = field(default_factory=LiveMediaStore)
    bots: dict[str, str] = field(default_factory=dict)
    avatars: dict[str, str] = field(default_factory=dict)

    # ---- FarmManager -------------------------------------------------------------------------------------

    async def start(self) -> None:
        self.calls.append(("start", ()))

    async def stop(self) -> None:
        self.calls.append(("stop", ()))

    def is_ready(self) -> bool:
        return True

    def node_status(self) -> list[Any]:
        return []

    async def start_session(self, session_id: str) -> None:
        self.calls.append(("start_session", (session_id,)))

    async def end_session(self, session_id: str) -> None:
        self.calls.append(("end_session", (session_id,)))
        session = await self.repository.sessions.require(session_id)
        for room in session.rooms:
            if not room.status.terminal:
                await self.leave(room.id, reason="session_ended", reason_text="The professor ended the session.")

    async def say(self, room_id: str, text: str) -> None:
        self.calls.append(("say", (room_id, text)))

    async def interrupt(self, room_id: str) -> None:
        self.calls.append(("interrupt", (room_id,)))

    async def restart_room(self, room_id: str) -> None:
        self.calls.append(("restart_room", (room_id,)))

    async def update_context(self, room_id: str, text: str) -> None:
        self.calls.append(("update_context", (room_id, text)))

    async def leave_room(self, room_id: str) -> None:
        self.calls.append(("leave_room", (room_id,)))
        await self.leave(room_id, reason="left", reason_text="The professor asked the bot to leave.")

    def live_media(self, room_id: str) -> LiveMedia | None:
        return self.media.get(room_id)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def calls_named(self, name: str) -> list[tuple[Any, ...]]:
        return [args for called, args in self.calls if called == name]

    # ---- the script --------------------------------------------------------------------------------------

    async def join(self, room_id: str, *, until: RoomStatus = RoomStatus.live, avatar: bool = True) -> None:
        """A new bot walks the join path up to `until`, opening an avatar session on the way."""
        bot = await self.repository.bots.start(room_id, node="local")
        self.bots[room_id] = bot.id
        for status in JOIN_PATH:
            await self.repository.sessions.set_room_status(room_id, status)
            if status is RoomStatus.avatar_connecting and avatar:
                await self.start_avatar(room_id)
            if status is until:
                return

    async def join_rest(self, room_id: str) -> None:
        """Carry on from where `join(..., until=…)` stopped, to live."""
        room = await self.repository.sessions.get_room(room_id)
        assert room is not None and room.status in JOIN_PATH, room
        for status in JOIN_PATH[JOIN_PATH.index(room.status) + 1 :]:
            await self.repository.sessions.set_room_status(room_id, status)
            if status is RoomStatus.avatar_connecting and room_id not in self.avatars:
                await self.start_avatar(room_id)

    async def start_avatar(self, room_id: str) -> None:
        opened = await self.repository.avatars.open(room_id, bot_id=self.bots.get(room_id))
        await self.repository.avatars.started(opened.id, vendor_session_id=f"vendor-{opened.id}")
        self.avatars[room_id] = opened.id

    async def stop_avatar(self, room_id: str, *, status: AvatarSessionStatus, reason: str) -> None:
        avatar = self.avatars.pop(room_id, None)
        if avatar is not None:
            await self.repository.avatars.close(avatar, status=status, end_reason=reason)

    async def set_status(self, room_id: str, status: RoomStatus, **kwargs: Any) -> None:
        await self.repository.sessions.set_room_status(room_id, status, **kwargs)

    async def backdate_live(self, room_id: str, seconds: float) -> None:
        """Pretend the room went live `seconds` earlier (for pictures of a class in full swing)."""
        await inspection.backdate_live(self.repository, room_id, seconds)

    async def bill(self, room_id: str, *, minutes: float, credits: float) -> None:
        """The avatar's running usage (the real farm meters it from the vendor)."""
        avatar = self.avatars[room_id]
        await self.repository.avatars.record_usage(avatar, minutes=minutes, credits=credits)

    def heartbeat(
        self,
        room_id: str,
        *,
        thumbnail: str | None = None,
        talking: bool = False,
        avatar_ready: bool = True,
        fps: float = 25.0,
        people: int = 2,
        level_out: float = 0.0,
        level_in: float = 0.05,
    ) -> None:
        """What a bot's heartbeat brings (see bot_page/README.md): stats and, now and then, a JPEG data URL."""
        stats = {
            "compositor": {"fps": fps, "width": 640, "height": 360},
            "outbound_video": {"fps": fps, "width": 640, "height": 360},
            "level_out": level_out if not talking else max(level_out, 0.2),
            "level_in": level_in,
            "avatar_ready": avatar_ready,
            "avatar_talking": talking,
            "humans_in_room": people,
        }
        self.media.record(room_id, MediaStats.model_validate(stats), thumbnail)

    async def transcript(self, room_id: str, speaker: str, role: TranscriptRole, text: str) -> None:
        await self.repository.transcripts.add(room_id, speaker=speaker, role=role, text=text)

    async def crash(self, room_id: str, *, reason: str = "browser_crashed", reason_text: str = CRASH_TEXT) -> None:
        """The bot's browser dies: its avatar stops, the bot ends, the room fails with the reason."""
        await self.stop_avatar(room_id, status=AvatarSessionStatus.failed, reason="bot crashed")
        bot = self.bots.pop(room_id, None)
        if bot is not None:
            await self.repository.bots.finish(bot, status="stopped", end_reason=reason)  # as the farm ends it
        self.media.forget(room_id)
        await self.repository.sessions.set_room_status(
            room_id, RoomStatus.failed, reason=reason, reason_text=reason_text
        )

    async def recover(self, room_id: str) -> None:
        """A fresh bot takes over the room (a restart reopens a failed room) and goes live again."""
        await self.repository.sessions.set_room_status(room_id, RoomStatus.recovering, reopen=True)
        await self.join(room_id)

    async def leave(self, room_id: str, *, reason: str, reason_text: str) -> None:
        if room_id in self.bots:  # a room with no bot (queued) has nothing to leave: it ends, as the farm's do
            await self.repository.sessions.set_room_status(room_id, RoomStatus.leaving)
        await self.stop_avatar(room_id, status=AvatarSessionStatus.stopped, reason=reason)
        bot = self.bots.pop(room_id, None)
        if bot is not None:
            await self.repository.bots.finish(bot, status="ended", end_reason=reason)
        self.media.forget(room_id)
        await self.repository.sessions.set_room_status(
            room_id, RoomStatus.ended, reason=reason, reason_text=reason_text
        )
