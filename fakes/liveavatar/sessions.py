"""Avatar sessions: their lifecycle, the limits that end them, and per-minute billing.

A session is CREATED by POST /v1/sessions/token, ACTIVE from POST /v1/sessions/start until it ENDS, and keeps its
end reason afterwards. `SessionRegistry.tick(now)` is the single place where time passes: the supervisor calls it
every `tick_interval_s` with the configured clock, and unit tests call it with any `now` they like.

Rules (the fake's reading of the LiveAvatar docs; see config.py for the numbers):
* at most `max_concurrent_sessions` ACTIVE sessions; starting one more is refused with CONCURRENCY_LIMIT;
* idle timeout: no keep-alive or interaction for `idle_timeout_s` ends the session with IDLE_TIMEOUT;
* a client that joined the session's LiveKit room and has been out of it for `client_absence_timeout_s` ends it
  with USER_DISCONNECTED (a session whose client never joined waits for the idle timeout);
* `max_session_duration` (per token, capped by the tier limit) ends it with MAX_DURATION_REACHED;
* sandbox sessions end after `sandbox_duration_s`, also with MAX_DURATION_REACHED, and cost nothing;
* credits are charged per *started* billing minute: the first minute at start (escrow), the next whenever a new
  minute begins; a session that cannot pay its next minute ends with NO_CREDITS. The escrow is refunded when a
  session ends with SERVER_ERROR before its media ever connected (it "failed to initialise").
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fakes.liveavatar.avatars import Avatar
from fakes.liveavatar.billing import CreditLedger
from fakes.liveavatar.config import FakeLiveAvatarConfig
from fakes.liveavatar.contexts import ResolvedContext, iso
from fakes.liveavatar.envelope import BusinessError, ErrorCode
from fakes.liveavatar.voices import Voice


class SessionStatus(StrEnum):
    CREATED = "CREATED"
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"


class StopReason(StrEnum):
    """`reason` of POST /v1/sessions/stop and `end_reason` of a session (LiveAvatar's OpenAPI)."""

    UNKNOWN = "UNKNOWN"
    USER_DISCONNECTED = "USER_DISCONNECTED"
    SERVER_ERROR = "SERVER_ERROR"
    IDLE_TIMEOUT = "IDLE_TIMEOUT"
    NO_CREDITS = "NO_CREDITS"
    USER_CLOSED = "USER_CLOSED"
    AVATAR_DELETED = "AVATAR_DELETED"
    MAX_DURATION_REACHED = "MAX_DURATION_REACHED"
    ZOMBIE_SESSION_REAP = "ZOMBIE_SESSION_REAP"
    AGENT_HANG_UP = "AGENT_HANG_UP"


QUALITY_RESOLUTIONS: dict[str, tuple[int, int]] = {
    "very_high": (1920, 1080),
    "high": (1280, 720),
    "medium": (854, 480),
    "low": (640, 360),
}


@dataclass
class TranscriptEntry:
    role: str  # user | avatar
    transcript: str
    absolute_timestamp: float
    relative_timestamp: float

    def schema(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "transcript": self.transcript,
            "absolute_timestamp": int(self.absolute_timestamp),
            "relative_timestamp": int(self.relative_timestamp),
        }


@dataclass
class AvatarSession:
    id: str
    mode: str  # FULL | LITE
    avatar: Avatar
    voice: Voice
    voice_speed: float
    is_sandbox: bool
    quality: str
    encoding: str
    interactivity_type: str
    max_session_duration: int
    language: str
    context: ResolvedContext | None
    start_session_data: dict[str, Any]
    created_wall: float
    status: SessionStatus = SessionStatus.CREATED
    started_mono: float | None = None
    started_wall: float | None = None
    last_activity_mono: float | None = None
    ended_mono: float | None = None
    ended_wall: float | None = None
    end_reason: StopReason | None = None
    billed_minutes: int = 0
    credits_consumed: float = 0.0
    escrow: float = 0.0
    media_connected_ever: bool = False
    client_in_room: bool = False
    client_left_mono: float | None = None
    transcript: list[TranscriptEntry] = field(default_factory=list)

    @property
    def resolution(self) -> tuple[int, int]:
        return QUALITY_RESOLUTIONS[self.quality]

    @property
    def is_active(self) -> bool:
        return self.status is SessionStatus.ACTIVE

    def duration(self, now: float) -> float:
        if self.started_mono is None:
            return 0.0
        end = self.ended_mono if self.ended_mono is not None else now
        return max(0.0, end - self.started_mono)

    def add_transcript(self, role: str, text: str, now_mono: float, now_wall: float) -> None:
        relative = 0.0 if self.started_mono is None else now_mono - self.started_mono
        self.transcript.append(TranscriptEntry(role, text, now_wall, relative))

    def schema(self, now: float) -> dict[str, Any]:
        """SessionSchema of GET /v1/sessions (plus a few fields the fake adds: status, avatar_id, ...)."""
        updated = self.ended_wall or self.started_wall or self.created_wall
        return {
            "id": self.id,
            "created_at": iso(self.created_wall),
            "updated_at": iso(updated),
            "duration": int(self.duration(now)),
            "source": "API",
            "mode": self.mode,
            "is_sandbox": self.is_sandbox,
            "credits_consumed": self.credits_consumed,
            "end_at": iso(self.ended_wall) if self.ended_wall is not None else None,
            "end_reason": self.end_reason.value if self.end_reason is not None else None,
            "status": self.status.value,
            "avatar_id": self.avatar.id,
            "context_id": self.context.id if self.context else None,
            "max_session_duration": self.max_session_duration,
        }


EndListener = Callable[[AvatarSession, StopReason], None]


class SessionRegistry:
    """All sessions of the (single) account, with the limits and the ledger."""

    def __init__(self, config: FakeLiveAvatarConfig, ledger: CreditLedger) -> None:
        self.config = config
        self.ledger = ledger
        self._sessions: dict[str, AvatarSession] = {}
        self._end_listeners: list[EndListener] = []

    def on_end(self, listener: EndListener) -> None:
        self._end_listeners.append(listener)

    def now(self) -> float:
        return self.config.clock()

    def wall_now(self) -> float:
        return self.config.wall_clock()

    def create(self, **fields: Any) -> AvatarSession:
        session = AvatarSession(id=str(uuid.uuid4()), created_wall=self.wall_now(), **fields)
        self._sessions[session.id] = session
        return session

    def get(self, session_id: str) -> AvatarSession | None:
        return self._sessions.get(session_id.lower())

    def all(self) -> list[AvatarSession]:
        return sorted(self._sessions.values(), key=lambda session: session.created_wall, reverse=True)

    def active(self) -> list[AvatarSession]:
        return [session for session in self.all() if session.is_active]

    def historic(self) -> list[AvatarSession]:
        return [session for session in self.all() if session.status is SessionStatus.ENDED]

    def rate(self, session: AvatarSession) -> float:
        return 0.0 if session.is_sandbox else self.config.credits_per_minute(session.mode)

    def start(self, session: AvatarSession) -> None:
        if session.status is SessionStatus.ACTIVE:
            raise BusinessError(400, ErrorCode.SESSION_ALREADY_STARTED, "Session already started")
        if session.status is SessionStatus.ENDED:
            raise BusinessError(400, ErrorCode.SESSION_ENDED, "Session already ended")
        if len(self.active()) >= self.config.max_concurrent_sessions:
            raise BusinessError(
                429,
                ErrorCode.CONCURRENCY_LIMIT,
                f"Concurrent session limit reached ({self.config.max_concurrent_sessions})",
            )
        rate = self.rate(session)
        if rate > 0 and not self.ledger.can_afford(rate):
            raise BusinessError(402, ErrorCode.INSUFFICIENT_CREDITS, "Insufficient credits to start a session")
        now = self.now()
        session.status = SessionStatus.ACTIVE
        session.started_mono = now
        session.started_wall = self.wall_now()
        session.last_activity_mono = now
        if rate > 0:
            self.ledger.charge(rate)
            session.escrow = rate
            session.credits_consumed = rate
        session.billed_minutes = 1

    def touch(self, session: AvatarSession) -> None:
        """Activity: keep-alive, a command, the user speaking, the avatar speaking. Resets the idle timer."""
        if session.is_active:
            session.last_activity_mono = self.now()

    def client_joined(self, session: AvatarSession) -> None:
        """The page joined the session's LiveKit room (first time or again)."""
        session.client_in_room = True
        session.client_left_mono = None
        session.media_connected_ever = True

    def client_left(self, session: AvatarSession) -> None:
        session.client_in_room = False
        session.client_left_mono = self.now()

    def stop(self, session: AvatarSession, reason: StopReason) -> bool:
        """End a session (any state). False if it had already ended; the first reason is kept."""
        if session.status is SessionStatus.ENDED:
            return False
        now = self.now()
        was_active = session.is_active
        session.status = SessionStatus.ENDED
        session.end_reason = reason
        session.ended_mono = now
        session.ended_wall = self.wall_now()
        if session.started_mono is None:
            session.started_mono = now
        if reason is StopReason.SERVER_ERROR and not session.media_connected_ever and session.escrow > 0:
            self.ledger.refund(session.escrow)
            session.credits_consumed -= session.escrow
            session.escrow = 0.0
        if was_active:
            for listener in self._end_listeners:
                listener(session, reason)
        return True

    def tick(self, now: float) -> list[tuple[AvatarSession, StopReason]]:
        """Apply every limit at time `now` and bill running sessions; returns the sessions this tick ended."""
        ended: list[tuple[AvatarSession, StopReason]] = []
        for session in self.active():
            reason = self._due_ending(session, now)
            if reason is None:
                reason = self._bill(session, now)
            if reason is not None and self.stop(session, reason):
                ended.append((session, reason))
        return ended

    def _due_ending(self, session: AvatarSession, now: float) -> StopReason | None:
        assert session.started_mono is not None and session.last_activity_mono is not None
        elapsed = now - session.started_mono
        if session.is_sandbox and elapsed >= self.config.sandbox_duration_s:
            return StopReason.MAX_DURATION_REACHED
        if elapsed >= session.max_session_duration:
            return StopReason.MAX_DURATION_REACHED
        if now - session.last_activity_mono >= self.config.idle_timeout_s:
            return StopReason.IDLE_TIMEOUT
        left = session.client_left_mono
        if left is not None and now - left >= self.config.client_absence_timeout_s:
            return StopReason.USER_DISCONNECTED
        return None

    def _bill(self, session: AvatarSession, now: float) -> StopReason | None:
        assert session.started_mono is not None
        rate = self.rate(session)
        elapsed = now - session.started_mono
        minutes_started = math.floor(elapsed / self.config.seconds_per_billing_minute) + 1
        if minutes_started > 1:
            session.escrow = 0.0  # the first minute is over: the escrow is now simply spent
        while session.billed_minutes < minutes_started:
            if rate > 0 and not self.ledger.can_afford(rate):
                return StopReason.NO_CREDITS
            if rate > 0:
                self.ledger.charge(rate)
                session.credits_consumed += rate
            session.billed_minutes += 1
        return None
