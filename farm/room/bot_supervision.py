"""Supervising one bot attempt: it reads the attempt's one queue (farm/room/attempt_messages.py) in order. The
page's reports, parsed as they arrived, become the room's status, its transcript and its avatar's life;
heartbeats feed the live media picture and prove the bot alive; a RoomCommand or the avatar's failure ends the
attempt. Returns the Outcome (a cause) that the recovery policy acts on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from farm import loop_clock
from farm.browsers.browser_node import PAGE_ERRORS, BotBrowser
from farm.errors import first_line
from farm.money.credit_allowance import ALLOWANCE_REACHED
from farm.room import pulse_question
from farm.room.attempt_messages import (
    AllowanceSpent,
    AttemptMessage,
    AvatarFailed,
    BrowserNotice,
    Command,
    PageReported,
    PulseAnswered,
    RefreshAvatar,
    UnreadableReport,
)
from farm.room.avatar_sessions import STUDENT_DECLINED, RoomAvatar
from farm.room.commands import RoomCommand
from farm.room.page_commands import PageCommands
from farm.room.page_messages import (
    AvatarDropped,
    AvatarReleased,
    AvatarWanted,
    BotIdentity,
    Broadcast,
    ChatDetail,
    EventReport,
    Heartbeat,
    StateReport,
    StudentsArrived,
    TranscriptDetail,
)
from farm.room.recovery_policy import words
from farm.room.student_choice import ACKNOWLEDGEMENT, StudentDeclined, declines, disclosure
from state import talk_time
from state.models import Room, RoomStatus, Session, TranscriptRole
from state.transitions import IllegalTransition
from state.vocabulary import AvatarWant, EventKind, StoredEventKind, reason_words

if TYPE_CHECKING:
    from farm.room.services import FarmServices

log = logging.getLogger("avatarfarm.farm")

LEAVE_TIMEOUT_SECONDS = 4.0
# Once the question's window is over, how long its answer (posted by the question itself) may take to be read.
ANSWER_POSTING_SECONDS = 1.0
# States in which the bot is in the meeting (its time there is what "stable" and max duration count).
IN_MEETING = frozenset(
    {
        RoomStatus.in_main_session,
        RoomStatus.joining_breakout,
        RoomStatus.in_room,
        RoomStatus.avatar_connecting,
        RoomStatus.live,
        RoomStatus.idle,
    }
)
# Page events kept in the room's timeline as they are.
TIMELINE_EVENTS = frozenset(
    {
        EventKind.meeting_breakout_joined,
        EventKind.meeting_breakout_refused,
        EventKind.meeting_reconnecting,
        EventKind.meeting_audio_silent,  # {direction, words, repair}: a live room whose audio did not flow
        EventKind.meeting_recording,  # {status, consented?}: the host records the meeting; the bot consented
        EventKind.page_error,
    }
)
# States of a bot in its room without a live avatar (asking for one included).
AVATARLESS = frozenset({RoomStatus.in_room, RoomStatus.avatar_connecting, RoomStatus.idle})
# States of a bot whose avatar is connecting or live.
AVATAR_UP = frozenset({RoomStatus.avatar_connecting, RoomStatus.live})
# States of a bot that waits for (or asks for) its breakout room.
WAITING_FOR_A_ROOM = frozenset({RoomStatus.in_main_session, RoomStatus.joining_breakout})
# Notices from a bot's browser that end its attempt (with this cause); the others are stored as `bot.<kind>` events.
NOTICE_OUTCOMES = {"browser.disconnected": "crashed", "page.crashed": "crashed", "node.lost": "node_lost"}
SetStatus = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Outcome:
    reason: str
    words: str | None = None
    was_live_for: float = 0.0


@dataclass
class Attempt:
    bot_id: str
    browser: BotBrowser | None = None
    avatar: RoomAvatar | None = None
    messages: asyncio.Queue[AttemptMessage] = field(default_factory=asyncio.Queue)
    in_meeting_since: float | None = None
    # On the farm's clock of kept-up time (farm/loop_clock.py), as every time a bot is judged by.
    last_heartbeat: float = field(default_factory=loop_clock.now)

    def post(self, message: AttemptMessage) -> None:
        self.messages.put_nowait(message)

    @property
    def page(self) -> PageCommands | None:
        """The bot page's commands, while it has a browser."""
        return PageCommands(self.browser) if self.browser is not None else None

    def in_meeting_for(self) -> float:
        return time.monotonic() - self.in_meeting_since if self.in_meeting_since else 0.0


class BotSupervisor:
    def __init__(
        self,
        services: FarmServices,
        *,
        session: Session,
        room: Room,
        attempt: Attempt,
        avatar: RoomAvatar,
        set_status: SetStatus,
    ) -> None:
        self.s = services
        self.session = session
        self.room = room
        self.attempt = attempt
        self.avatar = avatar
        self._set_status = set_status
        self.state: RoomStatus | None = None
        # What the host must do, while the bot waits unassigned in the main session with the rooms open.
        self.unassigned_words: str | None = None
        # Why the avatar was cut off for the professor's spent monthly allowance, while that holds.
        self.allowance_words: str | None = None
        # The question to the page after a late heartbeat, while it is open (farm/room/pulse_question.py), and
        # how many times in a row the page was kept on its answer with no heartbeat arriving in between.
        self._asking: asyncio.Task[None] | None = None
        self._rescues = 0

    async def run(self) -> Outcome:
        try:
            return await self._supervise()
        finally:
            self._stop_asking()

    async def _supervise(self) -> Outcome:
        """Times here are on the farm's clock of kept-up time: what the farm's loop could not read while it was
        stalled does not count against the bot."""
        attempt = self.attempt
        window = pulse_question.ask_window(self.s.heartbeat_timeout)
        asked_at = 0.0
        while True:
            if self._asking is None:
                remaining = self.s.heartbeat_timeout - (loop_clock.now() - attempt.last_heartbeat)
            else:  # the question posts its answer, or that there was none, within its window
                remaining = asked_at + window + ANSWER_POSTING_SECONDS - loop_clock.now()
            if remaining <= 0 and attempt.messages.empty():
                page = attempt.page
                if page is None:
                    log.warning("room %s: no heartbeat, and no page to ask: hung", self.room.id)
                    return self._outcome("hung")
                if self._asking is not None:
                    log.warning("room %s: no heartbeat, and no word from the question to its page: hung", self.room.id)
                    return self._outcome("hung")
                self._asking = pulse_question.ask(page, attempt.post, self.s.heartbeat_timeout)
                asked_at = loop_clock.now()
                continue
            try:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for drops a cancellation that arrives just
                # as a report does, and the runner would then carry on after being cancelled.
                async with asyncio.timeout(max(remaining, 0.05)):
                    message = await attempt.messages.get()
            except TimeoutError:
                continue  # kept-up time never runs faster than the wall clock: look again at what is due
            outcome = await self._handle(message)
            if outcome is not None:
                return outcome

    def _stop_asking(self) -> None:
        if self._asking is not None:
            self._asking.cancel()
            self._asking = None

    async def _answered(self, answer: PulseAnswered) -> Outcome | None:
        attempt = self.attempt
        if self._asking is None:
            return None  # a heartbeat arrived meanwhile: the question was withdrawn
        self._asking = None
        silent = loop_clock.now() - attempt.last_heartbeat
        verdict = pulse_question.judge(answer, self.s.heartbeat_timeout, self._rescues)
        if not verdict.alive:
            log.warning("room %s: no heartbeat for %.0f s and %s: hung", self.room.id, silent, verdict.words)
            return self._outcome("hung")
        self._rescues += 1
        log.warning(
            "room %s: no heartbeat for %.0f s, but %s (a loaded farm or node)", self.room.id, silent, verdict.words
        )
        assert verdict.beat_age is not None  # a page kept alive answered when it last beat
        await self.s.repository.events.append(
            StoredEventKind.bot_heartbeats_late,
            room_id=self.room.id,
            detail={"silent_seconds": round(silent, 1), "page_beat_seconds_ago": round(verdict.beat_age, 1)},
        )
        attempt.last_heartbeat = loop_clock.now()
        return None

    async def _handle(self, message: AttemptMessage) -> Outcome | None:
        match message:
            case Command(command):
                return await self._obey(command)
            case RefreshAvatar():
                await self.avatar.refresh()
                return None
            case AvatarFailed(reason, page_words):
                return self._outcome(reason, page_words)
            case AllowanceSpent(words):
                await self.allowance_spent(words)
                return None
            case BrowserNotice():
                return await self._notice(message)
            case UnreadableReport(error):
                log.warning("room %s: unreadable page report (%s)", self.room.id, error)
                await self.s.repository.events.append("bot.bad_report", room_id=self.room.id, detail={"error": error})
                return None
            case PageReported(report):
                return await self._report(report)
            case PulseAnswered():
                return await self._answered(message)

    def _outcome(self, reason: str, page_words: str | None = None) -> Outcome:
        return Outcome(reason, page_words, was_live_for=self.attempt.in_meeting_for())

    async def _notice(self, notice: BrowserNotice) -> Outcome | None:
        kind = notice.kind
        if kind in NOTICE_OUTCOMES:
            return self._outcome(NOTICE_OUTCOMES[kind])
        await self.s.repository.events.append(f"bot.{kind}", room_id=self.room.id, detail=notice.detail)
        return None

    async def _report(self, report: StateReport | EventReport | Heartbeat) -> Outcome | None:
        if isinstance(report, Heartbeat):
            return await self._heartbeat(report)
        if isinstance(report, StateReport):
            return await self._page_state(report)
        await self._page_event(report)
        return None

    async def _page_state(self, report: StateReport) -> Outcome | None:
        if report.state is RoomStatus.failed:
            return self._outcome(report.reason or "page_error", report.reason_text)
        if report.state is RoomStatus.ended:
            return self._outcome("left")
        if report.state in IN_MEETING and self.attempt.in_meeting_since is None:
            self.attempt.in_meeting_since = time.monotonic()
        self.state = report.state
        detail: dict[str, Any] = {"bot_id": self.attempt.bot_id}
        if report.room:
            detail["breakout_room"] = report.room
        why = report.detail.get("why")
        if report.state not in WAITING_FOR_A_ROOM:
            self.unassigned_words = None
        if report.state not in AVATAR_UP:
            self.avatar.restarted_for = None
        try:
            if self.unassigned_words is not None:
                # Asking for its room (and being refused) keeps the words up until the bot is in its room.
                await self._set_status(
                    report.state, reason="waiting_for_assignment", reason_text=self.unassigned_words, detail=detail
                )
            elif why == ALLOWANCE_REACHED and self.allowance_words is not None:
                await self._set_status(
                    report.state, reason=ALLOWANCE_REACHED, reason_text=self.allowance_words, detail=detail
                )
            elif why == AvatarWant.dropped and report.state is RoomStatus.avatar_connecting:
                await self._set_status(
                    report.state, reason="avatar_dropped", reason_text=reason_words("avatar_dropped"), detail=detail
                )
            elif (restarted_for := self.avatar.restarted_for) is not None and report.state in AVATAR_UP:
                # A replacement the farm started (deaf, frozen, dropped): connecting and live again, it says why.
                reason_text = reason_words(restarted_for)
                await self._set_status(report.state, reason=restarted_for, reason_text=reason_text, detail=detail)
            elif isinstance(why, str) and why in ("idle", "room_empty", "rooms_closing", "left_room", STUDENT_DECLINED):
                await self._set_status(report.state, reason=why, reason_text=reason_words(why), detail=detail)
            elif self.avatar.final_reason == STUDENT_DECLINED and report.state in AVATARLESS:
                # The page asks again when someone arrives or speaks and is declined: the professor keeps seeing why.
                reason_text = reason_words(STUDENT_DECLINED)
                await self._set_status(report.state, reason=STUDENT_DECLINED, reason_text=reason_text, detail=detail)
            else:
                await self._set_status(report.state, detail=detail)
        except IllegalTransition as exc:  # the page's word against the table: noted, and the room stays as it is
            log.warning("room %s: page state refused: %s", self.room.id, exc)
            await self.s.repository.events.append("bot.bad_report", room_id=self.room.id, detail={"error": str(exc)})
        return None

    async def _page_event(self, report: EventReport) -> None:
        repo = self.s.repository
        kind, detail = report.kind, report.detail
        if kind is EventKind.avatar_wanted:
            wanted = report.body(AvatarWanted)
            self.avatar.want(wanted.humans, wanted.why.value)
        elif kind is EventKind.avatar_ready:
            await self.avatar.ready()
        elif kind is EventKind.avatar_start_failed:
            await self.avatar.start_failed(str(detail.get("message") or "unknown"))
        elif kind is EventKind.avatar_released:
            released = report.body(AvatarReleased)
            await self.avatar.released(released.why.value)
            await repo.events.append(
                "avatar.released",
                room_id=self.room.id,
                detail={"why": released.why.value, "words": reason_words(released.why.value)},
            )
        elif kind is EventKind.avatar_dropped:
            drop = report.body(AvatarDropped)
            final = await self.avatar.dropped(drop.reason, drop.session_id)
            if final is not None:
                await self._set_status(RoomStatus.idle, reason=final, reason_text=reason_words(final))
        elif kind is EventKind.avatar_stopped:
            stop_reason = detail.get("stop_reason")
            self.avatar.vendor_stopped(str(stop_reason) if stop_reason else None)
            await repo.events.append("bot.avatar.stopped", room_id=self.room.id, detail=detail)
        elif kind is EventKind.avatar_deaf:
            await repo.events.append("avatar.deaf", room_id=self.room.id, detail=detail)
            restarted = await self.avatar.deaf()
            if self.state is not None:
                await self._set_status(self.state, reason="avatar_deaf", reason_text=reason_words("avatar_deaf"))
            if not restarted:
                log.warning("room %s: the avatar still cannot hear the room", self.room.id)
        elif kind is EventKind.avatar_stalled:
            stalled = bool(detail.get("stalled"))
            await repo.events.append("avatar.stalled", room_id=self.room.id, detail={"stalled": stalled})
            self.avatar.stalled(stalled)
        elif kind is EventKind.transcript:
            line = report.body(TranscriptDetail)
            if line.text.strip():
                await repo.transcripts.add(
                    self.room.id,
                    speaker=self._speaker(line),
                    role=TranscriptRole.student if line.role == "student" else TranscriptRole.avatar,
                    text=line.text,
                )
                if line.role == "student" and declines(line.text):
                    await self._student_declined(StudentDeclined(source="voice"))
        elif kind is EventKind.meeting_chat:
            chat = report.body(ChatDetail)
            if declines(chat.message):  # the same rule as spoken words; nothing else in the chat is kept
                await self._student_declined(StudentDeclined(source="chat", sender_id=chat.sender_id))
        elif kind is EventKind.meeting_identity:
            page = self.attempt.page
            if page is not None:
                meeting = self.session.meeting.number or self.session.id
                self.s.meeting_bots.report(self.attempt.bot_id, meeting, report.body(BotIdentity), page)
        elif kind is EventKind.students_arrived:
            await self._disclose(report.body(StudentsArrived).humans)
        elif kind is EventKind.meeting_broadcast:
            message = report.body(Broadcast).message
            await repo.transcripts.add(
                self.room.id, speaker=self.session.professor.name, role=TranscriptRole.professor, text=message
            )
            await repo.events.append("bot.meeting.broadcast", room_id=self.room.id, detail={"message": message})
        elif kind is EventKind.meeting_unassigned:
            self.unassigned_words = str(detail.get("words") or reason_words("waiting_for_assignment"))
            await repo.events.append("bot.meeting.unassigned", room_id=self.room.id, detail=detail)
            if self.state in WAITING_FOR_A_ROOM:
                await self._set_status(self.state, reason="waiting_for_assignment", reason_text=self.unassigned_words)
        elif kind is EventKind.meeting_muted_by_host:
            await repo.events.append("bot.meeting.muted_by_host", room_id=self.room.id, detail={})
            if self.state is not None:
                await self._set_status(self.state, reason="muted_by_host", reason_text=reason_words("muted_by_host"))
        elif kind.value in talk_time.SIGNALS:
            await repo.talk_time.record(self.room.id, kind.value, detail)
        elif kind in TIMELINE_EVENTS:
            await repo.events.append(f"bot.{kind.value}", room_id=self.room.id, detail=detail)

    async def _student_declined(self, decline: StudentDeclined) -> None:
        """A student asked the AI tutor to stop (out loud or in the chat): its avatar stops and stays stopped;
        the professor is told; a student who wrote it is answered in the chat."""
        await self.avatar.declined_by_student()
        await self.s.repository.events.append(
            "room.student_declined",
            room_id=self.room.id,
            detail={"words": reason_words(STUDENT_DECLINED), "source": decline.source},
        )
        if self.state is not None and self.state in IN_MEETING:
            await self._set_status(RoomStatus.idle, reason=STUDENT_DECLINED, reason_text=reason_words(STUDENT_DECLINED))
        page = self.attempt.page
        if decline.source == "chat" and page is not None:
            try:
                async with asyncio.timeout(LEAVE_TIMEOUT_SECONDS):
                    await page.send_chat(ACKNOWLEDGEMENT, to_user_id=decline.sender_id)
            except PAGE_ERRORS as exc:  # the avatar is stopped either way; only the answer is lost
                log.info("room %s: the chat answer was not sent: %s", self.room.id, first_line(exc))

    async def allowance_spent(self, words: str) -> None:
        """The professor's monthly allowance ran out while this bot's avatar runs: it stops now, and the room
        says why in `words` (the page's next ask is declined with them too)."""
        self.allowance_words = words
        if not await self.avatar.cut_off(ALLOWANCE_REACHED, words):
            return
        await self.s.repository.events.append("avatar.cut_off", room_id=self.room.id, detail={"words": words})
        if self.state is not None and self.state in IN_MEETING:
            await self._set_status(RoomStatus.idle, reason=ALLOWANCE_REACHED, reason_text=words)

    async def _disclose(self, humans: list[str]) -> None:
        """Students who arrived while the avatar is live hear at once that it is an AI, and how to decline."""
        page = self.attempt.page
        if page is None or self.avatar.vendor_session is None:
            return
        words = disclosure(humans, self.session.professor.name)
        try:
            await page.say(words)
        except PAGE_ERRORS as exc:  # the avatar went meanwhile: the next one's greeting says it
            log.info("room %s: the disclosure was not said: %s", self.room.id, first_line(exc))
            return
        await self.s.repository.events.append("avatar.disclosed", room_id=self.room.id, detail={"words": words})

    def _speaker(self, line: TranscriptDetail) -> str:
        if line.role == "avatar":
            return f"{self.session.professor.name} (AI)"
        if line.speaker:
            return line.speaker
        humans = self.avatar.humans
        return humans[0] if len(humans) == 1 else self.room.student.name

    async def _heartbeat(self, beat: Heartbeat) -> Outcome | None:
        attempt = self.attempt
        attempt.last_heartbeat = loop_clock.now()
        self._rescues = 0
        self._stop_asking()
        self.s.media.record(self.room.id, beat.stats, beat.thumbnail)
        if attempt.in_meeting_for() >= self.s.max_room_seconds:
            return await self.leave_page("max_duration")
        return None

    async def _obey(self, command: RoomCommand) -> Outcome:
        if command is RoomCommand.restart:
            return self._outcome(command.outcome)
        return await self.leave_page(command.outcome)

    async def leave_page(self, reason: str) -> Outcome:
        page = self.attempt.page
        if page is not None:
            await self._set_status(RoomStatus.leaving, reason=reason, reason_text=words(reason))
            # The avatar stops first: leaving the meeting can hang, and money must not.
            await self.avatar.shut(reason)
            with contextlib.suppress(*PAGE_ERRORS):
                async with asyncio.timeout(LEAVE_TIMEOUT_SECONDS):
                    await page.leave()
        return self._outcome(reason)
