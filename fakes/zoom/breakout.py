"""Breakout-room state of one meeting: rooms, options, open/closing status and assignments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class BreakoutStatus(IntEnum):
    """`BreakoutRoomStatus` of embedded.d.ts."""

    NOT_STARTED = 1
    IN_PROGRESS = 2
    CLOSING = 3
    CLOSED = 4


# `getUserStatus()` values (BreakoutRoomAttendeeStatus).
USER_INITIAL = "initial"
USER_INVITED = "invited"
USER_IN_ROOM = "in room"
USER_MAIN_SESSION = "main session"


@dataclass
class RoomOptions:
    """RoomOption of embedded.d.ts (defaults as documented there) plus the bundle's self-select switch."""

    isAutoJoinRoom: bool = False
    isBackToMainSessionEnabled: bool = True
    isTimerEnabled: bool = False
    timerDuration: int = 1800
    isTimerAutoEnabled: bool = False
    waitSeconds: int = 60
    # "Allow participants to choose room"; the bundle reads options.isRoomSelectionEnabled.
    isRoomSelectionEnabled: bool = False

    def update(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name not in self.__dataclass_fields__:
                raise ValueError(f"unknown breakout option {name!r}")
            expected = type(getattr(self, name))
            if expected is int and isinstance(value, int) and not isinstance(value, bool):
                setattr(self, name, value)
            elif expected is bool and isinstance(value, bool):
                setattr(self, name, value)
            else:
                raise ValueError(f"breakout option {name!r} must be {expected.__name__}")

    def sdk_view(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class BreakoutRoom:
    room_id: str
    name: str


def new_room_id() -> str:
    return "{" + str(uuid.uuid4()).upper() + "}"


@dataclass
class Breakout:
    """Rooms and assignments; who is in which room lives on the participants (Participant.room_id)."""

    rooms: list[BreakoutRoom] = field(default_factory=list)
    options: RoomOptions = field(default_factory=RoomOptions)
    status: BreakoutStatus = BreakoutStatus.NOT_STARTED
    # user_id -> room_id for participants present; lowercased name or email -> room_id for pre-assignment.
    assigned: dict[int, str] = field(default_factory=dict)
    preassigned: dict[str, str] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status in (BreakoutStatus.IN_PROGRESS, BreakoutStatus.CLOSING)

    def add_room(self, name: str) -> BreakoutRoom:
        if self.find(name) is not None:
            raise ValueError(f"breakout room {name!r} exists already")
        room = BreakoutRoom(new_room_id(), name)
        self.rooms.append(room)
        return room

    def find(self, id_or_name: str) -> BreakoutRoom | None:
        for room in self.rooms:
            if room.room_id == id_or_name:
                return room
        lowered = id_or_name.strip().lower()
        for room in self.rooms:
            if room.name.lower() == lowered:
                return room
        return None

    def by_id(self, room_id: str | None) -> BreakoutRoom | None:
        return next((room for room in self.rooms if room.room_id == room_id), None)
