"""A participant of a fake meeting and how the SDK shows it (the `Participant` shape of embedded.d.ts)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol


class Outbox(Protocol):
    """Where messages for one connected client go (its signalling socket); never blocks."""

    def send(self, message: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


@dataclass(eq=False)
class Participant:
    """Someone in a meeting: a browser connected over the signalling socket, or a virtual one without media."""

    user_id: int
    name: str
    email: str = ""
    # The Zoom user this participant is signed in as (ZAK, host controls); None for guests.
    zoom_user_id: str | None = None
    # For bots joined with an OBF token: the Zoom user who authorized them, and that user's name.
    authorized_by: str | None = None
    authorizer_name: str = ""
    is_host: bool = False
    is_cohost: bool = False
    on_hold: bool = False
    # The breakout room the participant is in; None means the main session.
    room_id: str | None = None
    # True once the participant went back to the main session while rooms are still open.
    left_room: bool = False
    audio: str = ""
    muted: bool = True
    video: bool = False
    customer_key: str = ""
    outbox: Outbox | None = None
    guid: str = field(default_factory=lambda: "{" + str(uuid.uuid4()).upper() + "}")
    joined_at: float = field(default_factory=time.time)
    # Last media report of the client: what it sends and what it receives from each remote participant.
    media_report: dict[str, Any] | None = None
    media_reported_at: float | None = None
    # Joined through a Meeting SDK app (a bot), not Zoom's own client (the participant page) nor a virtual
    # participant: Zoom never applies pre-assigned breakout rooms to it.
    sdk_client: bool = False
    # The participant pressed "Got it" in the recording consent dialog.
    recording_consent: bool = False

    @property
    def virtual(self) -> bool:
        return self.outbox is None

    @property
    def is_bot(self) -> bool:
        return self.authorized_by is not None

    @property
    def is_manager(self) -> bool:
        return self.is_host or self.is_cohost

    def send(self, message: dict[str, Any]) -> None:
        if self.outbox is not None:
            self.outbox.send(message)

    def sdk_view(self) -> dict[str, Any]:
        """The participant as `getCurrentUser()` / `getAttendeeslist()` / `user-*` events show it."""
        return {
            "userId": self.user_id,
            "userName": self.name,
            "displayName": self.name,
            "audio": self.audio,
            "muted": self.muted,
            "isHost": self.is_host,
            "isCoHost": self.is_cohost,
            "bCoHost": self.is_cohost,
            "isGuest": self.zoom_user_id is None,
            "avatar": "",
            "isPhoneUser": False,
            "bRaiseHand": False,
            "isHold": self.on_hold,
            "bHold": self.on_hold,
            "video": self.video,
            "bVideoOn": self.video,
            "sharerOn": False,
            "feedback": 0,
            "sharePause": False,
            "customerKey": self.customer_key,
            "audioStatus": 2 if self.audio else 0,
            "audioConnectionStatus": 2 if self.audio else 0,
            "isVideoConnect": self.video,
            "bVideoConnect": self.video,
            "participantUUID": self.guid,
            "userGuid": self.guid,
            "isBotUser": self.is_bot,
            "botBrandName": "avatarfarm" if self.is_bot else "",
            "botAuthorizerName": self.authorizer_name if self.is_bot else "",
            "bid": self.room_id or "",
        }
