"""One room's life in the farm: bot attempts (one Chromium each), recovery between them, and the commands.

A RoomRunner is an asyncio task. Each attempt records a bots row and launches the bot (farm/room/bot_launch.py),
which joins the meeting with no avatar; the attempt's supervisor (farm/room/bot_supervision.py) follows the page's
reports, and its avatar sessions (farm/room/avatar_sessions.py) start only when the page, in its breakout room,
asks for one. An attempt ends with a cause (a page failure reason, a crash, a missing heartbeat, a command);
the recovery policy decides what comes next. Every exit path stops the vendor session and closes its row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from farm import loop_clock
from farm.browsers.browser_node import BotBrowser, NodeLost
from farm.cancellation import finish_cancelled
from farm.room.attempt_messages import AllowanceSpent, BrowserNotice, Command, RefreshAvatar, arrived
from farm.room.avatar_sessions import RoomAvatar, room_context
from farm.room.bot_launch import LaunchRefused, launch_bot
from farm.room.bot_supervision import Attempt, BotSupervisor, Outcome
from farm.room.commands import RoomCommand
from farm.room.page_commands import PageCommands
from farm.room.recovery_policy import Action, decide, spends_budget, words
from farm.room.services import FarmServices
from farm.vendors.vendor_http import VendorError
from farm.vendors.zoom_client import ZoomNotAuthorized
from state.models import Room, RoomStatus, Session
from state.repository import NotFound, RoomClosed

log = logging.getLogger("avatarfarm.farm")

PRESENCE_POLL_SECONDS = 5.0  # how often a room waiting for the professor asks Zoom where they are
STABLE_SECONDS = 120.0  # a bot in the meeting this long has proven itself: its failures budget starts again


class RoomRunner:
    def __init__(
        self,
        services: FarmServices,
        session: Session,
        room: Room,
        *,
        on_done: Callable[[str], None],
        reopen: bool = False,
    ) -> None:
        self.s = services
        self._reopen = reopen  # the first status may bring an ended or failed room back (a restart)
        self.session = session
        self.room = room
        self.room_id = room.id
        self._on_done = on_done
        self._attempt: Attempt | None = None
        self._supervisor: BotSupervisor | None = None
        self._command: RoomCommand | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._obf_tried = False
        self.done = asyncio.Event()

    # ---- control from the farm ---------------------------------------------------------------------------

    def start(self, first_status_reason: str | None = None) -> None:
        self._task = asyncio.create_task(self._run(first_status_reason), name=f"room {self.room.name}")

    def request(self, command: RoomCommand) -> None:
        """Ask the current attempt to end; a stop command (RoomCommand.stops) also ends the room's life."""
        if self._command is not None and self._command.stops and command is RoomCommand.restart:
            return
        if command is self._command:
            return
        self._command = command
        self._wake.set()
        if self._attempt is not None:
            self._attempt.post(Command(command))

    async def wait(self) -> None:
        """Until the runner's task ends (callers bound the wait themselves)."""
        if self._task is not None:
            await finish_cancelled(asyncio.shield(self._task), f"the runner of room {self.room_id}")

    async def cancel(self) -> None:
        """Cancel the runner and wait until it has ended (its clean-up included); the caller stays cancellable."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task})

    @property
    def browser(self) -> BotBrowser | None:
        return self._attempt.browser if self._attempt else None

    @property
    def page(self) -> PageCommands | None:
        """The commands of the bot's page, while it has one."""
        return self._attempt.page if self._attempt else None

    @property
    def vendor_session(self) -> str | None:
        avatar = self._attempt.avatar if self._attempt else None
        return avatar.vendor_session if avatar else None

    # ---- the room's life -----------------------------------------------------------------------------------

    async def _status(self, status: RoomStatus, **kwargs: Any) -> None:
        """Record the room's status; RoomClosed when the room was ended meanwhile (the runner then stops)."""
        with contextlib.suppress(NotFound):
            await self.s.repository.sessions.set_room_status(self.room_id, status, reopen=self._reopen, **kwargs)
            self._reopen = False

    async def _run(self, first_status_reason: str | None) -> None:
        failures = 0
        last_reason, repeats = None, 0
        try:
            if first_status_reason:
                await self._status(
                    RoomStatus.recovering, reason=first_status_reason, reason_text=words(first_status_reason)
                )
            while True:
                if self._uses_obf() and await self._wait_for_professor(after_refusal=False):
                    # Joining on the professor's behalf: not before they are in a meeting (no refused join, no
                    # e-mail to the host).
                    await self._final_status_for_command()
                    return
                outcome = await self._one_attempt()
                if outcome is None:  # told to stop before the attempt could start
                    await self._final_status_for_command()
                    return
                if self._command is RoomCommand.shutdown:
                    # The server is going down: the room stays wanted, and start-up relaunches it.
                    await self._status(
                        RoomStatus.recovering, reason="server_restart", reason_text=words("server_restart")
                    )
                    return
                if outcome.was_live_for >= STABLE_SECONDS:
                    failures = 0
                if spends_budget(outcome.reason):
                    failures += 1
                repeats = repeats + 1 if outcome.reason == last_reason else 1
                last_reason = outcome.reason
                decision = decide(
                    outcome.reason,
                    page_words=outcome.words,
                    failures=failures,
                    budget=self.s.retry_budget,
                    obf_tried=self._obf_tried,
                    can_get_obf=self.s.zoom is not None and await self._has_grant(),
                    repeats=repeats,
                )
                await self._status(decision.status, reason=decision.reason, reason_text=decision.reason_text)
                if decision.action is Action.stop:
                    return
                if decision.action is Action.relaunch_with_obf:
                    self._obf_tried = True
                    self.s.obf_meetings.add(self.session.meeting.number or "")
                if decision.action is Action.wait_for_professor:
                    # Refused for the professor's absence (4017): their presence showed "in a meeting" but not
                    # this one, so wait until it changes. Removed because they left (4019): wait until they are
                    # in a meeting again.
                    refused = outcome.reason == "authorizer_absent"
                    if await self._wait_for_professor(after_refusal=refused):
                        await self._final_status_for_command()
                        return
                if decision.delay and await self._sleep(decision.delay):
                    await self._final_status_for_command()
                    return
        except asyncio.CancelledError:
            raise
        except RoomClosed:
            # Ended (its session ended) while this runner was on its way: its bot and avatar are already cleaned up.
            log.info("room %s was closed while its bot ran; the runner stops", self.room_id)
        except Exception as exc:  # a bug must not leave the room hanging in a live-looking state
            log.exception("room runner for %s crashed", self.room_id)
            await self._status(
                RoomStatus.failed,
                reason="farm_error",
                reason_text=f"The farm hit an internal error ({type(exc).__name__}); the server log has the details.",
            )
        finally:
            self.s.media.forget(self.room_id)
            self.done.set()
            self._on_done(self.room_id)

    async def _sleep(self, seconds: float) -> bool:
        """Back off; True when a stop command arrived meanwhile."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):  # (not wait_for: see BotSupervisor.run)
                await self._wake.wait()
        return self._stop_command() is not None

    async def _final_status_for_command(self) -> None:
        command = self._stop_command()
        if command is RoomCommand.shutdown:
            await self._status(RoomStatus.recovering, reason=command.outcome, reason_text=words(command.outcome))
        elif command is not None:
            await self._status(RoomStatus.ended, reason=command.outcome, reason_text=words(command.outcome))

    def _stop_command(self) -> RoomCommand | None:
        return self._command if self._command is not None and self._command.stops else None

    def _uses_obf(self) -> bool:
        return self.s.zoom is not None and (
            self._obf_tried or (self.session.meeting.number or "") in self.s.obf_meetings
        )

    async def _wait_for_professor(self, *, after_refusal: bool) -> bool:
        """Wait, saying so on the room, until the professor is in a meeting (after a refusal: until their presence
        goes from not in a meeting to in one), or a restart; True when a stop command arrived meanwhile."""
        assert self.s.zoom is not None
        seen_absent = not after_refusal
        said = False
        while True:
            try:
                present = await self.s.zoom.professor_in_a_meeting(self.session.owner_id)
            except (VendorError, ZoomNotAuthorized) as exc:
                # Presence unknown (say, the app lacks the user:read:presence_status scope): join and let Zoom
                # answer; after a refusal, wait for a restart rather than risk another e-mail to the host.
                log.warning("room %s: the professor's Zoom presence is unknown: %s", self.room_id, exc)
                if not after_refusal:
                    return False
                present = False
            if present and seen_absent:
                return False
            seen_absent = seen_absent or not present
            if not said:
                await self._status(
                    RoomStatus.recovering,
                    reason="waiting_for_professor",
                    reason_text=words("waiting_for_professor"),
                )
                said = True
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PRESENCE_POLL_SECONDS):
                    await self._wake.wait()
            if self._stop_command() is not None:
                return True
            if self._command is RoomCommand.restart:
                return False

    async def _has_grant(self) -> bool:
        return await self.s.repository.zoom_grants.get(self.session.owner_id) is not None

    async def _one_attempt(self) -> Outcome | None:
        if self._stop_command():
            return None
        if self._command is RoomCommand.restart:
            self._command = None
        async with self.s.capacity.slot(self.room_id, on_wait=self._queued):
            if self._stop_command():
                return None
            return await self._attempt_once()

    async def _queued(self, ahead: int) -> None:
        if self.s.capacity.size == 0:
            words = f"No browser node is up right now; the room waits for one ({ahead} room(s) ahead in the queue)."
        else:
            words = f"All {self.s.capacity.size} bot slots are busy; {ahead} room(s) ahead in the queue."
        await self._status(RoomStatus.queued, reason="waiting_for_capacity", reason_text=words)

    async def _attempt_once(self) -> Outcome:
        repo = self.s.repository
        try:
            node = self.s.node.place(self.room_id)
        except NodeLost:
            return Outcome("node_lost")
        bot = await repo.bots.start(self.room_id, node=node)
        attempt = Attempt(bot_id=bot.id)
        attempt.avatar = RoomAvatar(
            self.s,
            session_id=self.session.id,
            room_id=self.room_id,
            bot_id=bot.id,
            page=lambda: attempt.page,
            post=attempt.post,
        )
        self._attempt = attempt
        outcome = Outcome("crashed")
        try:
            outcome = await self._launch_and_supervise(attempt, attempt.avatar)
        except asyncio.CancelledError:
            outcome = Outcome("shutdown")
            raise
        except RoomClosed:
            outcome = Outcome("session_ended")
            raise
        finally:
            cleanup = self.s.keep(self._clean_up(attempt, attempt.avatar, outcome), f"clean-up {self.room.name}")
            await asyncio.shield(cleanup)
            self._attempt = None
        return outcome

    async def _launch_and_supervise(self, attempt: Attempt, avatar: RoomAvatar) -> Outcome:
        await self._status(RoomStatus.starting)
        session = await self.s.repository.sessions.require(self.session.id)
        room = await self.s.repository.sessions.get_room(self.room_id)
        assert room is not None
        self.session, self.room = session, room
        launched = await launch_bot(
            self.s,
            session=session,
            room=room,
            bot_id=attempt.bot_id,
            with_obf=self._uses_obf(),
            on_report=lambda message: attempt.post(arrived(message)),
            on_notice=lambda kind, detail: attempt.post(BrowserNotice(kind, detail)),
        )
        if isinstance(launched, LaunchRefused):
            return Outcome(launched.reason, launched.words)
        attempt.browser = launched
        attempt.last_heartbeat = loop_clock.now()
        self._supervisor = BotSupervisor(
            self.s, session=session, room=room, attempt=attempt, avatar=avatar, set_status=self._status
        )
        try:
            return await self._supervisor.run()
        finally:
            self.s.meeting_bots.forget(attempt.bot_id)

    @property
    def avatar_busy(self) -> bool:
        """Whether this room's avatar is running or starting (billing, or about to)."""
        avatar = self._attempt.avatar if self._attempt else None
        return avatar is not None and avatar.busy

    def allowance_spent(self, words: str) -> None:
        """The professor's monthly allowance ran out: the avatar stops now, the bot stays
        (farm/money/allowance_cutoff.py). Handled in turn with the page's reports, like every command to the
        attempt."""
        if self._attempt is not None:
            self._attempt.post(AllowanceSpent(words))

    def refresh_avatar(self) -> None:
        """Give the room a new avatar session (to pick up new instructions); the meeting connection stays."""
        if self._attempt is not None:
            self._attempt.post(RefreshAvatar())

    async def update_context(self, text: str) -> None:
        """Apply new room instructions to LiveAvatar's context (used by the next avatar session)."""
        room = await self.s.repository.sessions.get_room(self.room_id)
        if room is None or not room.avatar_context_id:
            return
        context = room_context(self.session, Room(**{**room.__dict__, "context_text": text}))
        await self.s.liveavatar.update_context(room.avatar_context_id, prompt=context.prompt)

    # ---- cleaning up: every exit path ----------------------------------------------------------------------

    async def _clean_up(self, attempt: Attempt, avatar: RoomAvatar, outcome: Outcome) -> None:
        async def close_browser() -> None:
            if attempt.browser is not None:
                await attempt.browser.close()

        async def stop_avatar() -> None:
            try:
                await avatar.shut(outcome.reason)
            except Exception:  # money: say so loudly; the reaper stops what this could not
                log.exception("could not close the avatar session of room %s", self.room_id)

        # The vendor session stops while the browser closes, not after it.
        await asyncio.gather(stop_avatar(), close_browser())
        try:
            await self.s.repository.bots.finish(
                attempt.bot_id, status="ended" if outcome.reason in ("left",) else "stopped", end_reason=outcome.reason
            )
        except (NotFound, sqlite3.Error):  # left open: start-up reconciliation closes it as lost
            log.exception("room %s: could not close bot %s", self.room_id, attempt.bot_id)


async def run_with_timeout(coroutines: list[Awaitable[Any]], seconds: float) -> None:
    """Run cleanups in parallel, giving up on the slow ones after `seconds`."""
    if not coroutines:
        return
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    _, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:
        task.cancel()
