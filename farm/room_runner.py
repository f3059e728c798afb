"""One room's life in the farm: bot attempts (one Chromium each), supervision, recovery, and the money.

A RoomRunner is an asyncio task. Each attempt records a bots row, records an avatar_sessions row *before*
asking LiveAvatar for a session, launches the bot page, and then follows the page's reports: states become
the room's status, transcripts and avatar events are stored, heartbeats feed the live media picture. An
attempt ends with a cause (a page failure reason, a crash, a missing heartbeat, a command); the recovery
policy decides what comes next. Every exit path stops the vendor session and closes its row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from farm.avatar_context import build_context
from farm.bot_page_config import BotCredentials, bot_page_config
from farm.bot_tickets import BotTickets
from farm.browser_node import BotBrowser, BrowserNode, NodeLost
from farm.capacity import Capacity
from farm.live_media import LiveMediaStore
from farm.liveavatar_client import LiveAvatarClient
from farm.recovery_policy import Action, decide, spends_budget, words
from farm.settings import Settings
from farm.vendor_http import VendorError
from farm.zoom_client import ZoomClient, ZoomNotAuthorized
from farm.zoom_signature import meeting_signature
from state.models import AvatarSessionStatus, Room, RoomStatus, Session, TranscriptRole
from state.repository import NotFound, Repository

log = logging.getLogger("avatarfarm.farm")

HEARTBEAT_TIMEOUT_SECONDS = 10.0
LEAVE_TIMEOUT_SECONDS = 4.0
STABLE_SECONDS = 120.0  # a bot live this long has proven itself: its failures budget starts again
AVATAR_RESTART_BUDGET = 3
PAGE_STATES = {status.value for status in RoomStatus} - {"queued", "recovering"}


@dataclass
class FarmServices:
    """What every runner shares."""

    repository: Repository
    settings: Settings
    node: BrowserNode
    liveavatar: LiveAvatarClient
    zoom: ZoomClient | None
    tickets: BotTickets
    media: LiveMediaStore
    capacity: Capacity
    launching: asyncio.Semaphore
    retry_budget: int = 3
    empty_room_seconds: float = 600.0
    max_room_seconds: float = 3 * 3600.0
    heartbeat_timeout: float = HEARTBEAT_TIMEOUT_SECONDS
    owned_vendor_sessions: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Outcome:
    reason: str
    words: str | None = None
    was_live_for: float = 0.0


@dataclass
class _Attempt:
    bot_id: str
    browser: BotBrowser | None = None
    avatar_row: str | None = None
    vendor_session: str | None = None
    reports: asyncio.Queue[tuple[str, dict[str, Any]]] = field(default_factory=asyncio.Queue)
    live_since: float | None = None
    last_heartbeat: float = field(default_factory=time.monotonic)
    empty_since: float | None = None
    avatar_restarts: int = 0


class RoomRunner:
    def __init__(self, services: FarmServices, session: Session, room: Room, *, on_done: Callable[[str], None]) -> None:
        self.s = services
        self.session = session
        self.room = room
        self.room_id = room.id
        self._on_done = on_done
        self._attempt: _Attempt | None = None
        self._command: str | None = None  # leave | restart | shutdown | session_ended | budget_reached
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._obf_tried = False
        self.done = asyncio.Event()

    # ---- control from the farm ---------------------------------------------------------------------------

    def start(self, first_status_reason: str | None = None) -> None:
        self._task = asyncio.create_task(self._run(first_status_reason), name=f"room {self.room.name}")

    def request(self, command: str) -> None:
        """Ask the current attempt to end: leave, restart, shutdown, session_ended, budget_reached."""
        if self._command in ("shutdown", "session_ended", "leave", "budget_reached") and command == "restart":
            return
        self._command = command
        self._wake.set()
        if self._attempt is not None:
            self._attempt.reports.put_nowait(("command", {"command": command}))

    async def wait(self) -> None:
        """Until the runner's task ends (callers bound the wait themselves)."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)

    async def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    @property
    def browser(self) -> BotBrowser | None:
        return self._attempt.browser if self._attempt else None

    @property
    def vendor_session(self) -> str | None:
        return self._attempt.vendor_session if self._attempt else None

    # ---- the room's life -----------------------------------------------------------------------------------

    async def _status(self, status: RoomStatus, **kwargs: Any) -> None:
        with contextlib.suppress(NotFound):
            await self.s.repository.set_room_status(self.room_id, status, **kwargs)

    async def _run(self, first_status_reason: str | None) -> None:
        failures = 0
        try:
            if first_status_reason:
                await self._status(
                    RoomStatus.recovering, reason=first_status_reason, reason_text=words(first_status_reason)
                )
            while True:
                outcome = await self._one_attempt()
                if outcome is None:  # told to stop before the attempt could start
                    await self._final_status_for_command()
                    return
                if self._command == "shutdown":
                    # The server is going down: the room stays wanted, and start-up relaunches it.
                    await self._status(
                        RoomStatus.recovering, reason="server_restart", reason_text=words("server_restart")
                    )
                    return
                if outcome.was_live_for >= STABLE_SECONDS:
                    failures = 0
                if spends_budget(outcome.reason):
                    failures += 1
                decision = decide(
                    outcome.reason,
                    page_words=outcome.words,
                    failures=failures,
                    budget=self.s.retry_budget,
                    obf_tried=self._obf_tried,
                    can_get_obf=self.s.zoom is not None and await self._has_grant(),
                )
                await self._status(decision.status, reason=decision.reason, reason_text=decision.reason_text)
                if decision.action is Action.stop:
                    return
                if decision.action is Action.relaunch_with_obf:
                    self._obf_tried = True
                if decision.delay and await self._sleep(decision.delay):
                    await self._final_status_for_command()
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not leave the room hanging in a live-looking state
            log.exception("room runner for %s crashed", self.room_id)
            await self._status(RoomStatus.failed, reason="farm_error", reason_text=f"The farm failed: {exc}")
        finally:
            self.s.media.forget(self.room_id)
            self.done.set()
            self._on_done(self.room_id)

    async def _sleep(self, seconds: float) -> bool:
        """Back off; True when a stop command arrived meanwhile."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        return self._stop_command() is not None

    async def _final_status_for_command(self) -> None:
        command = self._stop_command()
        if command == "shutdown":
            await self._status(RoomStatus.recovering, reason="server_restart", reason_text=words("server_restart"))
        elif command is not None:
            reason = "left" if command == "leave" else command
            await self._status(RoomStatus.ended, reason=reason, reason_text=words(reason))

    def _stop_command(self) -> str | None:
        return self._command if self._command in ("shutdown", "session_ended", "leave", "budget_reached") else None

    async def _has_grant(self) -> bool:
        return await self.s.repository.zoom_grant() is not None

    async def _one_attempt(self) -> Outcome | None:
        if self._stop_command():
            return None
        if self._command == "restart":
            self._command = None
        async with self.s.capacity.slot(self.room_id, on_wait=self._queued):
            if self._stop_command():
                return None
            return await self._attempt_once()

    async def _queued(self, ahead: int) -> None:
        await self._status(
            RoomStatus.queued,
            reason="waiting_for_capacity",
            reason_text=f"All {self.s.capacity.size} bot slots are busy; {ahead} room(s) ahead in the queue.",
        )

    async def _attempt_once(self) -> Outcome:
        repo = self.s.repository
        try:
            node = self.s.node.place(self.room_id)
        except NodeLost:
            return Outcome("node_lost")
        bot = await repo.start_bot(self.room_id, node=node)
        attempt = _Attempt(bot_id=bot.id)
        self._attempt = attempt
        outcome = Outcome("crashed")
        try:
            outcome = await self._launch_and_supervise(attempt)
        except asyncio.CancelledError:
            outcome = Outcome("shutdown")
            raise
        finally:
            await asyncio.shield(self._clean_up(attempt, outcome))
            self._attempt = None
        return outcome

    async def _launch_and_supervise(self, attempt: _Attempt) -> Outcome:
        await self._status(RoomStatus.starting)
        session = await self.s.repository.require_session(self.session.id)
        room = await self.s.repository.get_room(self.room_id)
        assert room is not None
        self.room = room
        if not session.meeting.number:
            return Outcome("meeting_not_found", "The session has no meeting yet (creating it failed).")
        try:
            token = await self._new_avatar(attempt)
        except VendorError as exc:
            return Outcome("avatar_unavailable", f"The avatar service could not start a session ({exc.message}).")
        obf = None
        if self._obf_tried and self.s.zoom is not None:
            try:
                obf = await self.s.zoom.obf_token(session.meeting.number)
            except (VendorError, ZoomNotAuthorized) as exc:
                return Outcome("obf_required", f"Could not get an OBF token: {exc}")
        settings = self.s.settings
        config = bot_page_config(
            settings,
            bot_id=attempt.bot_id,
            room_id=self.room_id,
            room_name=room.name,
            professor_name=session.professor.name,
            meeting_number=session.meeting.number,
            passcode=session.meeting.passcode,
            credentials=BotCredentials(
                meeting_signature=meeting_signature(
                    sdk_key=settings.zoom_sdk_key or "",
                    sdk_secret=settings.zoom_sdk_secret.get_secret_value() if settings.zoom_sdk_secret else "",
                    meeting_number=session.meeting.number,
                ),
                liveavatar_session_token=token,
                obf_token=obf,
            ),
        )
        url = f"{settings.base_url}/bot/{self.s.tickets.issue(config)}"
        queue = attempt.reports
        try:
            async with self.s.launching:
                attempt.browser = await self.s.node.open_bot(
                    f"{self.session.id}/{room.name}",
                    url,
                    on_report=lambda message: queue.put_nowait(("report", message)),
                    on_notice=lambda kind, detail: queue.put_nowait(("notice", {"kind": kind, **detail})),
                    room_id=self.room_id,
                )
        except NodeLost as exc:
            return Outcome("node_lost", str(exc))
        except Exception as exc:  # Playwright raises its own error types for a failed launch
            log.warning("could not launch a bot for room %s: %s", self.room_id, exc)
            return Outcome("launch_failed", f"The bot's browser could not be started ({type(exc).__name__}).")
        attempt.last_heartbeat = time.monotonic()
        return await self._supervise(attempt)

    async def _new_avatar(self, attempt: _Attempt) -> str:
        """Record, then mint, a LiveAvatar session for this attempt; returns its session token."""
        repo = self.s.repository
        row = await repo.open_avatar_session(self.room_id, bot_id=attempt.bot_id)
        attempt.avatar_row = row.id
        try:
            context_id = await self._context_id()
            minted = await self.s.liveavatar.session_token(
                avatar_id=self.session.professor.avatar_id,
                context_id=context_id,
                voice_id=self.session.professor.voice_id,
                quality=self.s.settings.avatar_quality,
            )
        except VendorError as exc:
            await repo.close_avatar_session(
                row.id, status=AvatarSessionStatus.failed, end_reason=f"token: {exc.message}"
            )
            attempt.avatar_row = None
            raise
        attempt.vendor_session = minted.session_id
        self.s.owned_vendor_sessions.add(minted.session_id)
        await repo.avatar_session_assigned(row.id, vendor_session_id=minted.session_id)
        return minted.token

    async def _context_id(self) -> str:
        room = await self.s.repository.get_room(self.room_id)
        assert room is not None
        if room.avatar_context_id:
            return room.avatar_context_id
        context = self._build_context(room)
        context_id = await self.s.liveavatar.create_context(
            name=context.name, prompt=context.prompt, opening_text=context.opening_text
        )
        await self.s.repository.set_avatar_context(self.room_id, context_id)
        return context_id

    def _build_context(self, room: Room) -> Any:
        professor = self.session.professor
        return build_context(
            professor_name=professor.name,
            teaching_style=professor.teaching_style,
            student_name=room.student.name,
            student_background=room.student.background,
            course_name=self.session.course.name,
            course_material=self.session.course.context,
            room_name=room.name,
            extra_instructions=room.context_text,
        )

    def refresh_avatar(self) -> None:
        """Give the room a new avatar session (to pick up new instructions); the meeting connection stays."""
        if self._attempt is not None:
            self._attempt.reports.put_nowait(("avatar_refresh", {}))

    async def update_context(self, text: str) -> None:
        """Apply new room instructions to LiveAvatar's context (used by the next avatar session)."""
        room = await self.s.repository.get_room(self.room_id)
        if room is None or not room.avatar_context_id:
            return
        context = self._build_context(Room(**{**room.__dict__, "context_text": text}))
        await self.s.liveavatar.update_context(room.avatar_context_id, prompt=context.prompt)

    # ---- supervision ---------------------------------------------------------------------------------------

    async def _supervise(self, attempt: _Attempt) -> Outcome:
        while True:
            timeout = max(0.5, self.s.heartbeat_timeout - (time.monotonic() - attempt.last_heartbeat))
            try:
                kind, message = await asyncio.wait_for(attempt.reports.get(), timeout)
            except TimeoutError:
                return Outcome("hung", was_live_for=self._live_for(attempt))
            if kind == "command":
                return await self._obey(attempt, message["command"])
            if kind == "avatar_refresh":
                await self._refresh_avatar(attempt)
                continue
            if kind == "notice":
                outcome = await self._notice(attempt, message)
            else:
                outcome = await self._report(attempt, message)
            if outcome is not None:
                return outcome

    def _live_for(self, attempt: _Attempt) -> float:
        return time.monotonic() - attempt.live_since if attempt.live_since else 0.0

    async def _notice(self, attempt: _Attempt, notice: dict[str, Any]) -> Outcome | None:
        kind = notice.pop("kind")
        if kind in ("browser.disconnected", "page.crashed"):
            return Outcome("crashed", was_live_for=self._live_for(attempt))
        if kind == "node.lost":
            return Outcome("node_lost", was_live_for=self._live_for(attempt))
        await self.s.repository.append_event(f"bot.{kind}", room_id=self.room_id, detail=notice)
        return None

    async def _report(self, attempt: _Attempt, message: dict[str, Any]) -> Outcome | None:
        kind = message.get("type")
        if kind == "heartbeat":
            return await self._heartbeat(attempt, message)
        if kind == "state":
            return await self._page_state(attempt, message)
        if kind == "event":
            await self._page_event(attempt, str(message.get("kind")), message.get("detail") or {})
        return None

    async def _page_state(self, attempt: _Attempt, message: dict[str, Any]) -> Outcome | None:
        state = str(message.get("state"))
        reason = message.get("reason")
        if state == "failed":
            return Outcome(str(reason or "page_error"), message.get("reason_text"), self._live_for(attempt))
        if state == "ended":
            return Outcome("left", was_live_for=self._live_for(attempt))
        if state not in PAGE_STATES:
            return None
        if state == "live" and attempt.live_since is None:
            attempt.live_since = time.monotonic()
        detail = {"bot_id": attempt.bot_id}
        room = (message.get("detail") or {}).get("room")
        if room:
            detail["breakout_room"] = room
        await self._status(RoomStatus(state), detail=detail)
        return None

    async def _page_event(self, attempt: _Attempt, kind: str, detail: dict[str, Any]) -> None:
        repo = self.s.repository
        if kind == "avatar.ready" and attempt.avatar_row:
            await repo.avatar_session_started(attempt.avatar_row, vendor_session_id=str(attempt.vendor_session))
        elif kind == "avatar.dropped":
            await self._restart_avatar(attempt, str(detail.get("reason")))
        elif kind == "transcript" and detail.get("text"):
            student = detail.get("role") == "student"
            await repo.add_transcript(
                self.room_id,
                speaker=self.room.student.name if student else f"{self.session.professor.name} (AI)",
                role=TranscriptRole.student if student else TranscriptRole.avatar,
                text=str(detail["text"])[:4000],
            )
        elif kind in ("meeting.breakout_joined", "meeting.breakout_refused", "meeting.reconnecting", "page.error"):
            await repo.append_event(f"bot.{kind}", room_id=self.room_id, detail=detail)

    async def _heartbeat(self, attempt: _Attempt, message: dict[str, Any]) -> Outcome | None:
        now = time.monotonic()
        attempt.last_heartbeat = now
        stats = message.get("stats") or {}
        self.s.media.record(self.room_id, stats, message.get("thumbnail"))
        if attempt.live_since is None:
            return None
        live_for = now - attempt.live_since
        if live_for >= self.s.max_room_seconds:
            return await self._leave_page(attempt, "max_duration")
        humans = int(stats.get("humans_in_room") or 0)
        if humans > 0:
            attempt.empty_since = None
        elif attempt.empty_since is None:
            attempt.empty_since = now
        elif now - attempt.empty_since >= self.s.empty_room_seconds:
            return await self._leave_page(attempt, "room_empty")
        return None

    async def _restart_avatar(self, attempt: _Attempt, vendor_reason: str) -> None:
        """Only the avatar dropped: a new avatar session in the same page; the meeting connection stays."""
        repo = self.s.repository
        await repo.append_event("avatar.dropped", room_id=self.room_id, detail={"reason": vendor_reason})
        await self._close_avatar(attempt, f"dropped: {vendor_reason}", stop_vendor=False)
        while attempt.avatar_restarts < AVATAR_RESTART_BUDGET:
            attempt.avatar_restarts += 1
            try:
                token = await self._new_avatar(attempt)
                assert attempt.browser is not None
                await attempt.browser.evaluate("(token) => window.avatarfarm.restartAvatar(token)", token)
                await repo.append_event(
                    "avatar.restarted", room_id=self.room_id, detail={"attempt": attempt.avatar_restarts}
                )
                return
            except Exception as exc:  # the vendor or the page refused: record, close, try again
                log.warning("avatar restart %d for room %s failed: %s", attempt.avatar_restarts, self.room_id, exc)
                await self._close_avatar(attempt, f"restart failed: {exc}"[:200], failed=True)
        attempt.reports.put_nowait(("report", {"type": "state", "state": "failed", "reason": "avatar_lost"}))

    async def _obey(self, attempt: _Attempt, command: str) -> Outcome:
        if command == "restart":
            return Outcome("restart_requested", was_live_for=self._live_for(attempt))
        reason = {"leave": "left", "shutdown": "server_restart", "session_ended": "session_ended"}.get(command, command)
        return await self._leave_page(attempt, reason)

    async def _leave_page(self, attempt: _Attempt, reason: str) -> Outcome:
        if attempt.browser is not None:
            await self._status(RoomStatus.leaving, reason=reason, reason_text=words(reason))
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    attempt.browser.evaluate("() => window.avatarfarm.leave()"), LEAVE_TIMEOUT_SECONDS
                )
        return Outcome(reason, was_live_for=self._live_for(attempt))

    # ---- cleaning up: every exit path ----------------------------------------------------------------------

    async def _close_avatar(
        self, attempt: _Attempt, end_reason: str, *, stop_vendor: bool = True, failed: bool = False
    ) -> None:
        row, vendor = attempt.avatar_row, attempt.vendor_session
        attempt.avatar_row = None
        attempt.vendor_session = None
        await self._close_avatar_row(row, vendor, end_reason, stop_vendor=stop_vendor, failed=failed)

    async def _close_avatar_row(
        self, row: str | None, vendor: str | None, end_reason: str, *, stop_vendor: bool = True, failed: bool = False
    ) -> None:
        if vendor is not None:
            if stop_vendor:
                with contextlib.suppress(VendorError):
                    await self.s.liveavatar.stop_session(vendor, "USER_CLOSED")
            self.s.owned_vendor_sessions.discard(vendor)
        if row is None:
            return
        minutes = credits = None
        if vendor is not None:
            with contextlib.suppress(VendorError):
                usage = await self.s.liveavatar.session(vendor)
                minutes, credits = usage.duration / 60.0, usage.credits_consumed
        await self.s.repository.close_avatar_session(
            row,
            status=AvatarSessionStatus.failed if failed else AvatarSessionStatus.stopped,
            end_reason=end_reason,
            minutes=minutes,
            credits=credits,
        )

    async def _refresh_avatar(self, attempt: _Attempt) -> None:
        """A new avatar session with the room's new instructions. The page stops the old one itself (a client
        stop is not a drop), then the old row is closed."""
        if attempt.vendor_session is None or attempt.browser is None:
            return
        old_row, old_vendor = attempt.avatar_row, attempt.vendor_session
        attempt.avatar_row = attempt.vendor_session = None
        try:
            token = await self._new_avatar(attempt)
            await attempt.browser.evaluate("(token) => window.avatarfarm.restartAvatar(token)", token)
            await self.s.repository.append_event("avatar.refreshed", room_id=self.room_id, detail={})
        except Exception as exc:  # the room keeps going; a failed avatar start is handled like a drop
            log.warning("avatar refresh for room %s failed: %s", self.room_id, exc)
            attempt.reports.put_nowait(("report", {"type": "event", "kind": "avatar.dropped", "detail": {}}))
        finally:
            await self._close_avatar_row(old_row, old_vendor, "context updated")

    async def _clean_up(self, attempt: _Attempt, outcome: Outcome) -> None:
        if attempt.browser is not None:
            await attempt.browser.close()
        with contextlib.suppress(Exception):
            await self._close_avatar(attempt, outcome.reason)
        with contextlib.suppress(Exception):
            await self.s.repository.finish_bot(
                attempt.bot_id, status="ended" if outcome.reason in ("left",) else "stopped", end_reason=outcome.reason
            )


async def run_with_timeout(coroutines: list[Awaitable[Any]], seconds: float) -> None:
    """Run cleanups in parallel, giving up on the slow ones after `seconds`."""
    if not coroutines:
        return
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    _, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:
        task.cancel()
