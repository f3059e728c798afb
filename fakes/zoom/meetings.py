"""The meeting domain: who is in which session, waiting room, breakout rooms, and what each client is told.

Everything here is synchronous and runs on the service's event loop; messages to clients go through each
participant's non-blocking outbox. After any change, every connected client receives a fresh `state`
snapshot (its own view of the meeting); events that the SDK raises at a precise moment
(`connection-change`, `room-state-change`, `active-speaker`) are sent explicitly around it.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fakes.zoom import errors
from fakes.zoom.breakout import (
    USER_IN_ROOM,
    USER_INITIAL,
    USER_INVITED,
    USER_MAIN_SESSION,
    Breakout,
    BreakoutRoom,
    BreakoutStatus,
)
from fakes.zoom.client_state import state_for
from fakes.zoom.participants import Participant

AUDIO_PLAYBACK_MODES = ("split", "webaudio", "element", "silent")
ACTIVE_SPEAKER_MIN_LEVEL = 0.02
# The RecordingStatus values of embedded.d.ts.
RECORDING_STATUSES = ("Recording", "Paused", "Stopped")
# While the same person keeps talking, `active-speaker` names them again this often ("someone is speaking").
ACTIVE_SPEAKER_REPEAT_S = 2.0
FIRST_USER_ID = 16778240

Scheduler = Callable[[float, Callable[[], None]], None]
Hints = dict[str, dict[int, str]]


def _loop_scheduler(delay: float, callback: Callable[[], None]) -> None:
    asyncio.get_running_loop().call_later(delay, callback)


@dataclass
class MeetingSettings:
    """What the host decided for this meeting (changeable through the host controls)."""

    topic: str = "avatarfarm simulated meeting"
    passcode: str = ""
    waiting_room: bool = False
    join_before_host: bool = True
    # Refuse joins that look automated (navigator.webdriver, HeadlessChrome, or an OBF bot).
    block_bots: bool = False
    # Refuse joins without a ZAK or an OBF token (4012) even for meetings of the app's own account.
    authenticated_only: bool = False
    # Refuse every join with this errorCode (any code of errors.ALL_REFUSALS): failure injection.
    force_join_error: int | None = None
    # How clients play remote audio: "webaudio" (AudioContext -> destination), "element" (<audio>), or
    # "split" (remote participants with an even userId through WebAudio, odd ones through <audio>), or "silent"
    # (through WebAudio at zero gain: nothing sounds although Zoom shows people speaking).
    audio_playback: str = "split"
    # Zoom's "Mute participants upon entry": joining computer audio leaves the participant muted.
    mute_on_entry: bool = False
    # Pressing the audio button never connects computer audio (as when the SDK cannot open the audio path).
    computer_audio_fails: bool = False
    # While a client moves between the main session and a room, its breakout getters (getUserStatus,
    # getCurrentBreakoutRoom) answer undefined for this long, as the real bundle's do mid-move.
    breakout_getters_gap_ms: int = 0
    # A webinar: everyone but the host and co-hosts joins as an attendee (Join Audio, listen only, no video).
    webinar: bool = False

    def update(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name not in self.__dataclass_fields__:
                raise ValueError(f"unknown meeting setting {name!r}")
            if name == "audio_playback" and value not in AUDIO_PLAYBACK_MODES:
                raise ValueError(f"audio_playback must be one of {', '.join(AUDIO_PLAYBACK_MODES)}")
            if name == "force_join_error" and value is not None:
                errors.refusal_for_code(int(value))
            setattr(self, name, value)


@dataclass(eq=False)
class Meeting:
    number: str
    account_id: str
    host_user_id: str
    settings: MeetingSettings = field(default_factory=MeetingSettings)
    started: bool = False
    created_at: float = field(default_factory=time.time)
    uuid: str = field(default_factory=lambda: uuid.uuid4().hex[:22] + "==")
    breakout: Breakout = field(default_factory=Breakout)
    participants: dict[int, Participant] = field(default_factory=dict)
    schedule: Scheduler = _loop_scheduler
    ended_at: float | None = None
    _next_user_id: int = FIRST_USER_ID
    # Cloud recording: "Recording", "Paused" or "Stopped" (the host's control).
    recording: str = "Stopped"
    # E-mails Zoom sent the host about this meeting (a join refused because its authorizer was absent).
    host_emails: list[dict[str, Any]] = field(default_factory=list)
    # Every chat message sent in the meeting, as `chat-on-message` carried it (fakes/zoom/chat.py).
    chat_log: list[dict[str, Any]] = field(default_factory=list)
    _active_speakers: dict[str, int] = field(default_factory=dict)
    _active_speaker_at: dict[str, float] = field(default_factory=dict)

    # ----- queries

    def find(self, user_id: int) -> Participant | None:
        return self.participants.get(user_id)

    def find_by_name(self, name: str) -> Participant | None:
        lowered = name.strip().lower()
        return next((p for p in self.participants.values() if p.name.lower() == lowered), None)

    def host_present(self) -> bool:
        return any(p.is_host and not p.on_hold for p in self.participants.values())

    def user_present(self, zoom_user_id: str) -> bool:
        return any(p.zoom_user_id == zoom_user_id and not p.on_hold for p in self.participants.values())

    def find_duplicate(self, name: str, email: str, zoom_user_id: str | None) -> Participant | None:
        """An older session of the same identity: same ZAK user, or same userName and (non-empty) userEmail."""
        for p in self.participants.values():
            if p.virtual:
                continue
            if zoom_user_id is not None and p.zoom_user_id == zoom_user_id:
                return p
            if email and p.email.lower() == email.lower() and p.name == name:
                return p
        return None

    def media_room(self, p: Participant) -> str | None:
        """The set of people p hears and sees: "main", a breakout room id, or None in the waiting room."""
        if p.on_hold:
            return None
        return p.room_id or "main"

    def in_conference(self, conference: str) -> list[Participant]:
        """Everyone admitted to that conference ("main" or a breakout room id): who a chat to everyone reaches."""
        return [p for p in self.participants.values() if self.media_room(p) == conference]

    def user_status(self, p: Participant) -> str:
        if p.room_id is not None:
            return USER_IN_ROOM
        if self.breakout.is_open:
            if p.left_room:
                return USER_MAIN_SESSION
            if p.user_id in self.breakout.assigned:
                return USER_INVITED
        return USER_INITIAL

    # ----- membership

    def add(self, p: Participant) -> Participant:
        """Put a participant (already admitted by the join checks) into the meeting."""
        p.user_id = self._next_user_id
        self._next_user_id += 1
        self.participants[p.user_id] = p
        # Pre-assigned rooms apply to Zoom's own clients only, never to SDK participants. An SDK participant that
        # rejoins (a relaunched bot) is a new participant, so it also comes back unassigned.
        for key in (p.name.lower(), p.email.lower()) if not p.sdk_client else ():
            room_id = self.breakout.preassigned.get(key) if key else None
            if room_id is not None:
                self.breakout.assigned[p.user_id] = room_id
                break
        if p.is_host:
            self.started = True
        room = self.breakout.by_id(self.breakout.assigned.get(p.user_id))
        auto_join = self.breakout.options.isAutoJoinRoom and self.breakout.status is BreakoutStatus.IN_PROGRESS
        if room is not None and auto_join and not p.on_hold:
            # A late joiner assigned to an auto-join room lands directly in it.
            p.room_id = room.room_id
        self.publish({"added": {p.user_id: ""}})
        return p

    def remove(self, p: Participant, closed_reason: str | None) -> None:
        """Take p out of the meeting; its client gets `Closed` with closed_reason (None: it already left)."""
        if self.participants.pop(p.user_id, None) is None:
            return
        self.breakout.assigned.pop(p.user_id, None)
        if p.outbox is not None:
            if closed_reason is not None:
                p.send({"op": "closed", "reason": closed_reason})
            p.outbox.close()
        self.publish({"removed": {p.user_id: ""}})
        if p.zoom_user_id is not None and not any(q.zoom_user_id == p.zoom_user_id for q in self.participants.values()):
            for bot in [q for q in self.participants.values() if q.authorized_by == p.zoom_user_id]:
                self.remove(bot, errors.CLOSED_MASTER_LEFT)

    def admit(self, p: Participant) -> None:
        if not p.on_hold:
            return
        p.on_hold = False
        self._transition([(p, errors.RECONNECT_ON_HOLD, {})], {"added": {p.user_id: "on hold"}})

    def put_on_hold(self, p: Participant) -> None:
        if p.on_hold:
            return
        p.on_hold = True
        p.room_id = None
        self._transition([(p, errors.RECONNECT_ON_HOLD, {})], {"removed": {p.user_id: "on hold"}})

    def end(self) -> None:
        for p in list(self.participants.values()):
            self.participants.pop(p.user_id, None)
            if p.outbox is not None:
                p.send({"op": "closed", "reason": errors.CLOSED_ENDED})
                p.outbox.close()
        self.started = False
        self.ended_at = time.time()
        self.breakout.status = BreakoutStatus.NOT_STARTED
        self.breakout.assigned.clear()

    def start(self) -> None:
        self.started = True
        self.ended_at = None

    def set_host(self, p: Participant) -> None:
        for q in self.participants.values():
            q.is_host = q is p
        self.publish()

    # ----- breakout rooms

    def open_breakout(self, options: dict[str, Any] | None = None) -> None:
        if not self.breakout.rooms:
            raise errors.OperationFailure("INVALID_PARAMETERS", "no breakout rooms", 7502)
        if self.breakout.is_open:
            raise errors.OperationFailure("INVALID_OPERATION", "Breakout rooms are open already", 7504)
        if options:
            self.breakout.options.update(options)
        self.breakout.status = BreakoutStatus.IN_PROGRESS
        for p in self.participants.values():
            p.left_room = False
        self._broadcast_event("room-state-change", {"status": int(BreakoutStatus.IN_PROGRESS)})
        moved: list[tuple[Participant, str, dict[str, Any]]] = []
        if self.breakout.options.isAutoJoinRoom:
            for user_id, room_id in self.breakout.assigned.items():
                p = self.participants[user_id]
                room = self.breakout.by_id(room_id)
                if room is not None and not p.on_hold:
                    moved.append((p, errors.RECONNECT_JOIN_BO, {"roomName": room.name}))
                    p.room_id = room.room_id
        self._transition(moved, {})

    def close_breakout(self, wait_seconds: float | None = None) -> None:
        if self.breakout.status is not BreakoutStatus.IN_PROGRESS:
            raise errors.OperationFailure("INVALID_OPERATION", "Breakout room is not started", 7504)
        wait = self.breakout.options.waitSeconds if wait_seconds is None else wait_seconds
        self.breakout.status = BreakoutStatus.CLOSING
        self._broadcast_event("room-state-change", {"status": int(BreakoutStatus.CLOSING)})
        self.publish()
        if wait <= 0:
            self._finish_closing()
        else:
            self.schedule(wait, self._finish_closing)

    def _finish_closing(self) -> None:
        if self.breakout.status is not BreakoutStatus.CLOSING:
            return
        moved: list[tuple[Participant, str, dict[str, Any]]] = []
        for p in self.participants.values():
            p.left_room = False
            if p.room_id is not None:
                p.room_id = None
                moved.append((p, errors.RECONNECT_BACK_TO_MAIN, {}))
        self.breakout.status = BreakoutStatus.CLOSED
        self._broadcast_event("room-state-change", {"status": int(BreakoutStatus.CLOSED)})
        self._transition(moved, {})

    def preassign(self, key: str, room: BreakoutRoom) -> None:
        """Assign whoever joins later with that name or email."""
        self.breakout.preassigned[key.strip().lower()] = room.room_id

    def assign(self, p: Participant, room: BreakoutRoom) -> None:
        """The host's assignment: an invitation, or a direct move when rooms auto-join."""
        self.breakout.assigned[p.user_id] = room.room_id
        if (
            self.breakout.status is BreakoutStatus.IN_PROGRESS
            and not p.on_hold
            and (self.breakout.options.isAutoJoinRoom or p.room_id is not None)
        ):
            reason = errors.RECONNECT_JOIN_BO if p.room_id is None else errors.RECONNECT_MOVE_BO
            self._enter_room(p, room, reason)
        else:
            self.publish()

    def move(self, p: Participant, room: BreakoutRoom) -> None:
        """The host moves p into a room at once."""
        if self.breakout.status is not BreakoutStatus.IN_PROGRESS:
            raise errors.BO_NOT_STARTED
        if p.on_hold:
            raise errors.STATE_ON_HOLD
        self.breakout.assigned[p.user_id] = room.room_id
        self._enter_room(p, room, errors.RECONNECT_MOVE_BO)

    def join_room(self, p: Participant, room_id: str) -> None:
        """`joinBreakoutRoom(roomId)` with the bundle's rules."""
        if self.breakout.status is not BreakoutStatus.IN_PROGRESS:
            raise errors.BO_NOT_STARTED
        room = self.breakout.by_id(room_id)
        if p.is_host or p.is_cohost:
            if room is None:
                raise errors.BO_ROOM_ID_WRONG
            if p.is_cohost and not p.is_host and not self.host_present():
                raise errors.BO_NO_HOST
        elif p.room_id is not None and p.room_id == room_id:
            return
        elif room is not None and self.breakout.assigned.get(p.user_id) == room_id:
            pass
        elif self.breakout.options.isRoomSelectionEnabled and room is not None:
            # The bundle sends a "want join" request to the host, whose client grants it.
            if not self.host_present():
                raise errors.BO_NO_HOST
        else:
            raise errors.BO_ROOM_ID_WRONG
        assert room is not None
        self.breakout.assigned[p.user_id] = room.room_id
        self._enter_room(p, room, errors.RECONNECT_JOIN_BO)

    def leave_room(self, p: Participant) -> None:
        """`leaveBreakoutRoom()` with the bundle's rules."""
        if self.breakout.status not in (BreakoutStatus.IN_PROGRESS, BreakoutStatus.CLOSING) or p.room_id is None:
            raise errors.OperationFailure("INVALID_OPERATION", "", 7504)
        if not (
            self.breakout.options.isBackToMainSessionEnabled
            or self.breakout.status is BreakoutStatus.CLOSING
            or p.is_manager
        ):
            raise errors.BO_EXIT_RESTRICTED
        p.room_id = None
        p.left_room = True
        self._transition([(p, errors.RECONNECT_BACK_TO_MAIN, {})], {})

    def _enter_room(self, p: Participant, room: BreakoutRoom, reason: str) -> None:
        if p.room_id == room.room_id:
            self.publish()
            return
        p.room_id = room.room_id
        p.left_room = False
        self._transition([(p, reason, {"roomName": room.name})], {})

    def set_recording(self, status: str) -> None:
        """The host starts, pauses or stops cloud recording: everyone admitted hears `recording-change`, and
        each client asks its user's consent while recording (see static/sdk/consent.js)."""
        if status not in RECORDING_STATUSES:
            raise ValueError(f"recording status must be one of {', '.join(RECORDING_STATUSES)}")
        if status == self.recording:
            return
        self.recording = status
        self.publish()
        self._broadcast_event("recording-change", status)

    def email_host(self, *, about: str, text: str) -> None:
        """An e-mail Zoom sends the host (counted: each refused on-behalf join sends one)."""
        self.host_emails.append({"about": about, "text": text, "at": time.time()})

    def record_consent(self, p: Participant) -> None:
        p.recording_consent = True
        self.publish()

    def broadcast(self, content: str) -> None:
        """The host's message to every breakout room (and the main session), as `broadcast-message`."""
        if not content:
            raise errors.OperationFailure("INVALID_PARAMETERS", "parameter cannot be empty", 4003)
        for target in self.participants.values():
            if not target.on_hold:
                target.send({"op": "event", "name": "broadcast-message", "payload": {"message": content}})

    # ----- media

    def update_media_state(self, p: Participant, *, audio: str, muted: bool, video: bool) -> None:
        if (p.audio, p.muted, p.video) == (audio, muted, video):
            return
        p.audio, p.muted, p.video = audio, muted, video
        self.publish()

    def record_media_report(self, p: Participant, report: dict[str, Any]) -> None:
        p.media_report = report
        p.media_reported_at = time.time()
        self._update_active_speaker(self.media_room(p))

    def _update_active_speaker(self, room_key: str | None) -> None:
        if room_key is None:
            return
        members = [p for p in self.participants.values() if self.media_room(p) == room_key]
        loudest: Participant | None = None
        loudest_level = ACTIVE_SPEAKER_MIN_LEVEL
        for p in members:
            sending = (p.media_report or {}).get("sending") or {}
            level = sending.get("audioLevel")
            if isinstance(level, int | float) and not p.muted and level >= loudest_level:
                loudest, loudest_level = p, float(level)
        if loudest is None:
            return
        now = time.monotonic()
        same = self._active_speakers.get(room_key) == loudest.user_id
        if same and now - self._active_speaker_at.get(room_key, 0.0) < ACTIVE_SPEAKER_REPEAT_S:
            return
        self._active_speakers[room_key] = loudest.user_id
        self._active_speaker_at[room_key] = now
        payload = [{"userId": loudest.user_id, "displayName": loudest.name}]
        for p in members:
            p.send({"op": "event", "name": "active-speaker", "payload": payload})

    def relay_allowed(self, sender: Participant, receiver: Participant) -> bool:
        room = self.media_room(sender)
        return room is not None and room == self.media_room(receiver)

    # ----- what clients see

    def publish(self, hints: Hints | None = None) -> None:
        """Send every connected client its view of the meeting (see client_state.py)."""
        for p in self.participants.values():
            if p.outbox is not None:
                p.send(state_for(self, p, hints or {}))

    def _broadcast_event(self, name: str, payload: Any) -> None:
        for p in self.participants.values():
            if not p.on_hold:
                p.send({"op": "event", "name": name, "payload": payload})

    def _transition(
        self,
        moved: Iterable[tuple[Participant, str, dict[str, Any]]],
        hints: Hints,
    ) -> None:
        """Reconnecting for every moved client, then everyone's new state, then Connected for the moved."""
        moved = list(moved)
        for p, reason, extra in moved:
            p.send(
                {
                    "op": "event",
                    "name": "connection-change",
                    "payload": {"state": "Reconnecting", "reason": reason, **extra},
                }
            )
        self.publish(hints)
        for p, _, _ in moved:
            p.send({"op": "event", "name": "connection-change", "payload": {"state": "Connected"}})


class MeetingExists(ValueError):
    """A meeting with that number exists already."""


class MeetingDirectory:
    """All meetings of the service, by number."""

    def __init__(self, schedule: Scheduler = _loop_scheduler) -> None:
        self._meetings: dict[str, Meeting] = {}
        self._schedule = schedule

    def all(self) -> list[Meeting]:
        return list(self._meetings.values())

    def get(self, number: str) -> Meeting | None:
        return self._meetings.get(str(number).replace(" ", ""))

    def create(
        self,
        *,
        account_id: str,
        host_user_id: str,
        number: str | None = None,
        settings: MeetingSettings | None = None,
        rooms: Iterable[str] = (),
        room_options: dict[str, Any] | None = None,
        started: bool = False,
    ) -> Meeting:
        """A new meeting; raises MeetingExists, or ValueError for bad values (nothing is stored then)."""
        if number is None:
            number = self._new_number()
        number = str(number).replace(" ", "")
        if not number.isdigit() or not 9 <= len(number) <= 11:
            raise ValueError("meeting number must have 9 to 11 digits")
        if number in self._meetings:
            raise MeetingExists(f"meeting {number} exists already")
        meeting = Meeting(
            number=number,
            account_id=account_id,
            host_user_id=host_user_id,
            settings=settings or MeetingSettings(),
            started=started,
            schedule=self._schedule,
        )
        for name in rooms:
            meeting.breakout.add_room(name)
        meeting.breakout.options.update(room_options or {})
        self._meetings[number] = meeting
        return meeting

    def delete(self, number: str) -> Meeting | None:
        meeting = self._meetings.pop(number, None)
        if meeting is not None:
            meeting.end()
        return meeting

    def _new_number(self) -> str:
        while True:
            number = str(secrets.randbelow(9 * 10**10) + 10**10)
            if number not in self._meetings:
                return number
