"""The farm manager (the API's FarmManager): one RoomRunner per room (farm/room/), bounded by the browser nodes'
slots (farm/browsers/), commands to rooms as RoomCommand, page commands through PageCommands, plus the background
rounds that keep it honest — the reaper of vendor sessions nobody owns and the usage meter with its credit
budget (both in farm/money/avatar_billing.py; the manager schedules them and stops the rooms over budget) — and
start-up reconciliation after a crash.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from farm.browsers.browser_node import PAGE_ERRORS, PlaywrightNode
from farm.browsers.capacity import Capacity
from farm.browsers.node_pool import NodePool, NodeStatus, node_pool
from farm.browsers.orphans import kill_orphaned_browsers
from farm.conversation.transcript_reconciler import TranscriptReconciler
from farm.errors import FarmError, RoomNotReady, SessionRefuses, first_line
from farm.money.allowance_cutoff import cut_off_spent_allowances
from farm.money.avatar_billing import AvatarBilling
from farm.money.context_cleanup import delete_contexts
from farm.money.credit_budget import budget_spent, budget_words
from farm.room.bot_page_config import PRODUCT_TIMINGS, PageTimings
from farm.room.bot_tickets import BotTickets
from farm.room.commands import RoomCommand
from farm.room.live_media import LiveMedia, LiveMediaStore
from farm.room.page_commands import PageCommands
from farm.room.recovery_policy import words
from farm.room.room_runner import RoomRunner, run_with_timeout
from farm.room.services import FarmServices
from farm.settings import Settings
from farm.startup_log import startup_step
from farm.vendors.liveavatar_client import LiveAvatarClient
from farm.vendors.vendor_http import VendorError
from farm.vendors.zoom_client import ZoomClient, ZoomNotAuthorized
from farm.webhooks.professor_receivers import professor_receivers
from farm.webhooks.sender import WebhookSender
from state.models import RoomStatus, Session, SessionStatus
from state.repository import Repository
from state.vocabulary import StoredEventKind

log = logging.getLogger("avatarfarm.farm")

REAPER_INTERVAL_SECONDS = 60.0
METER_INTERVAL_SECONDS = 30.0
SHUTDOWN_SECONDS = 9.0  # bots leaving their meetings on SIGTERM
CLEANUP_SECONDS = 20.0  # then the vendor stops still under way (a container's grace period covers both)
COMMAND_TIMEOUT_SECONDS = 10.0
ENDING_SECONDS = 30.0  # bots leaving their meeting when a session ends


class Farm:
    def __init__(
        self,
        repository: Repository,
        settings: Settings,
        tickets: BotTickets,
        *,
        node: PlaywrightNode | None = None,
        liveavatar: LiveAvatarClient | None = None,
        zoom: ZoomClient | None = None,
        reaper_interval: float = REAPER_INTERVAL_SECONDS,
        meter_interval: float = METER_INTERVAL_SECONDS,
        page_timings: PageTimings = PRODUCT_TIMINGS,
    ) -> None:
        self.nodes: NodePool = node_pool(settings, node)
        self.nodes.on_change = self._node_changed
        self.services = FarmServices(
            repository=repository,
            settings=settings,
            node=self.nodes,
            liveavatar=liveavatar or LiveAvatarClient.for_settings(settings),
            zoom=zoom,
            tickets=tickets,
            media=LiveMediaStore(),
            capacity=Capacity(self.nodes.capacity, on_release=self.nodes.release),
            launching=asyncio.Semaphore(settings.launch_concurrency),
            retry_budget=settings.retry_budget,
            max_room_seconds=settings.max_room_minutes * 60.0,
            page_timings=page_timings,
        )
        self.repository = repository
        self._runners: dict[str, RoomRunner] = {}
        self._background: list[asyncio.Task[None]] = []
        self.billing = AvatarBilling(self.services, reaper_interval=reaper_interval)
        self._reaper_interval = reaper_interval
        self._meter_interval = meter_interval
        self._ending: set[str] = set()  # sessions being ended: no new runner
        self._strangers_seen: list[str] = []
        self._ready = False
        self._webhooks: WebhookSender | None = None
        self._transcripts = TranscriptReconciler(repository, self.services.liveavatar)

    # ---- lifecycle ------------------------------------------------------------------------------------------

    async def start(self) -> None:
        with startup_step("orphaned browsers"):
            killed = kill_orphaned_browsers()
        if killed:
            log.warning("killed %d browser(s) left by a previous manager", len(killed))
            await self.repository.events.append("farm.orphans_killed", detail={"pids": killed})
        self._webhooks = WebhookSender.from_settings(
            self.repository,
            self.services.settings,
            professor_receivers(
                self.repository.webhook_receivers, private_allowed=self.services.settings.webhook_allow_private
            ),
        )
        with startup_step("webhooks and transcripts"):
            await self._webhooks.start()
            await self._transcripts.start()
        with startup_step("browser nodes"):
            await self.nodes.start()
        self.services.capacity.resize(self.nodes.capacity)
        for node in self.nodes.status():
            if not node.up:
                await self._node_changed(node)
        with startup_step("sessions reconciled"):
            await self._reconcile()
        self._background = [
            asyncio.create_task(self._every(self._reaper_interval, self.reap), name="reaper"),
            asyncio.create_task(self._every(self._meter_interval, self.meter), name="usage meter"),
        ]
        warm = self.services.settings.warm_pool
        if warm:
            with startup_step(f"warm pool of {warm}"):
                await self.nodes.prewarm(warm)
        self._ready = True

    async def stop(self) -> None:
        """Leave every meeting and stop every avatar, within SHUTDOWN_SECONDS; rooms stay wanted."""
        self._ready = False
        for task in self._background:
            task.cancel()
        runners = list(self._runners.values())
        for runner in runners:
            runner.request(RoomCommand.shutdown)
        await run_with_timeout([runner.wait() for runner in runners], SHUTDOWN_SECONDS)
        for runner in runners:
            await runner.cancel()
        # A cancelled runner's clean-up (vendor stop while its browser closes) runs on: it must end before the
        # HTTP clients close, and whatever it could not stop is stopped here, before they do.
        await self._finish_cleanups()
        await self.nodes.stop()
        await self._transcripts.stop()
        if self._webhooks is not None:
            await self._webhooks.stop()  # what is not yet delivered stays in the outbox for the next start
        await self.services.liveavatar.aclose()  # the Zoom client is the server's: the app closes it

    async def _finish_cleanups(self) -> None:
        cleanups = set(self.services.cleanups)
        if cleanups:
            _, late = await asyncio.wait(cleanups, timeout=CLEANUP_SECONDS)
            if late:
                log.warning("%d clean-up(s) did not finish within %.0f s", len(late), CLEANUP_SECONDS)
        await self.billing.stop_owned()

    def running_rooms(self) -> list[str]:
        """Rooms with a runner: waiting for a slot, launching, in the meeting, or backing off between attempts."""
        return sorted(self._runners)

    def is_ready(self) -> bool:
        return self._ready

    def node_status(self) -> list[NodeStatus]:
        """The browser nodes: up or down, slots, bots placed (for /readyz and /metrics)."""
        return self.nodes.status()

    async def _node_changed(self, node: NodeStatus) -> None:
        """A node went down or came back: the farm's slots follow, and the event log says so."""
        self.services.capacity.resize(self.nodes.capacity)
        detail: dict[str, Any] = {"node": node.name, "slots": node.capacity, "farm_slots": self.nodes.capacity}
        if node.problem:
            detail["problem"] = node.problem
        await self.repository.events.append(
            StoredEventKind.farm_node_up if node.up else StoredEventKind.farm_node_down, detail=detail
        )

    async def _every(self, seconds: float, job: Any) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:
                log.exception("farm background job %s failed", getattr(job, "__name__", job))

    # ---- sessions and rooms ---------------------------------------------------------------------------------

    async def _launch(
        self, session_id: str, room_id: str, *, first_status_reason: str | None = None, reopen: bool = False
    ) -> None:
        """Start the room's runner, unless it has one or its session may no longer run bots."""
        if room_id in self._runners or session_id in self._ending:
            return
        session = await self.repository.sessions.require(session_id)
        if session.status is not SessionStatus.active or session_id in self._ending:
            return  # ended (or being ended) while this launch was on its way
        room = next(r for r in session.rooms if r.id == room_id)
        if room.status.terminal and not reopen:
            return
        budget = self.services.settings.session_credit_budget
        if budget_spent(session, budget):
            if not room.status.terminal:
                await self.repository.sessions.set_room_status(
                    room_id, RoomStatus.ended, reason="budget_reached", reason_text=words("budget_reached")
                )
            return
        if room_id in self._runners:  # launched while we read
            return
        runner = RoomRunner(self.services, session, room, on_done=self._forget, reopen=reopen)
        self._runners[room_id] = runner
        runner.start(first_status_reason)

    def _pending(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.append(task)
        task.add_done_callback(lambda t: self._background.remove(t) if t in self._background else None)

    def _forget(self, room_id: str) -> None:
        self._runners.pop(room_id, None)

    async def start_session(self, session_id: str) -> None:
        session = await self.repository.sessions.require(session_id)
        if session.meeting.number is None:
            try:
                await self._create_meeting(session_id)
            except Exception as exc:  # noqa: BLE001 - a boundary: the session ends in words, logged in full there
                await self._meeting_not_created(session, exc)
                return
        for room in session.rooms:
            await self._launch(session_id, room.id)

    async def _meeting_not_created(self, session: Session, exc: Exception) -> None:
        """The session cannot run without its meeting: it ends, every room failed with the reason in words."""
        if isinstance(exc, (FarmError, VendorError, ZoomNotAuthorized)):
            text = f"The Zoom meeting could not be created: {exc}"
        else:
            log.exception("creating the Zoom meeting of session %s failed", session.id)
            text = "The Zoom meeting could not be created (an internal error; the server log has the details)."
        await self.repository.events.append("session.start_failed", session_id=session.id, detail={"reason": text})
        await self.repository.sessions.begin_ending(session.id, text)
        self._ending.add(session.id)
        for room in session.rooms:
            await self.repository.sessions.set_room_status(
                room.id, RoomStatus.failed, reason="meeting_not_created", reason_text=text
            )

    async def _create_meeting(self, session_id: str) -> None:
        zoom = self.services.zoom
        if zoom is None:
            raise FarmError("Creating meetings needs Zoom OAuth credentials (AVATARFARM_ZOOM_OAUTH_CLIENT_ID).")
        session = await self.repository.sessions.require(session_id)
        created = await zoom.create_meeting(
            session.owner_id,
            topic=session.meeting.topic or session.course.name,
            rooms=[room.name for room in session.rooms],
        )
        await self.repository.sessions.set_meeting(session_id, number=created.number, passcode=created.passcode)

    def _runners_of(self, session_id: str) -> list[RoomRunner]:
        return [r for r in self._runners.values() if r.session.id == session_id]

    async def end_session(self, session_id: str) -> None:
        self._ending.add(session_id)  # from now on no runner starts for it (see _launch)
        for runner in self._runners_of(session_id):
            runner.request(RoomCommand.session_ended)
        self._pending(self._finish_ending(session_id))

    async def _finish_ending(self, session_id: str) -> None:
        # A launch that read the session just before it was ended may still add a runner: end those too.
        while runners := self._runners_of(session_id):
            for runner in runners:
                runner.request(RoomCommand.session_ended)
            await run_with_timeout([runner.wait() for runner in runners], ENDING_SECONDS)
            for runner in runners:
                await runner.cancel()
                self._forget(runner.room_id)
        await self.repository.sessions.end_open_rooms(session_id, reason="session_ended")
        await delete_contexts(self.repository.sessions, self.services.liveavatar, session_id)

    async def _on_page(self, room_id: str, command: Callable[[PageCommands], Awaitable[None]]) -> None:
        """Run one command on the room's bot page; RoomNotReady, in words, when the page cannot take it."""
        runner = self._runners.get(room_id)
        page = runner.page if runner is not None else None
        if page is None:
            raise RoomNotReady("This room's bot is not running right now.")
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT_SECONDS):
                await command(page)
        except TimeoutError:
            raise RoomNotReady("The room's bot did not answer in time; try again.") from None
        except PAGE_ERRORS as exc:  # the page refused (e.g. the avatar is reconnecting), or is gone
            message = first_line(exc)
            raise RoomNotReady(f"The room's bot could not do that now: {message}") from None

    async def say(self, room_id: str, text: str) -> None:
        await self._on_page(room_id, lambda page: page.say(text))

    async def interrupt(self, room_id: str) -> None:
        await self._on_page(room_id, lambda page: page.interrupt())

    async def restart_room(self, room_id: str) -> None:
        room = await self.repository.sessions.get_room(room_id)
        if room is None:
            raise FarmError("No such room.")
        session = await self.repository.sessions.require(room.session_id)
        if session.status is not SessionStatus.active or session.id in self._ending:
            raise SessionRefuses("This session is ending; its rooms cannot be restarted.")
        budget = self.services.settings.session_credit_budget
        if budget is not None and budget_spent(session, budget):
            raise SessionRefuses(budget_words(session, budget))
        runner = self._runners.get(room_id)
        if runner is not None:
            runner.request(RoomCommand.restart)
            return
        await self._launch(room.session_id, room_id, first_status_reason="restart_requested", reopen=True)

    async def leave_room(self, room_id: str) -> None:
        runner = self._runners.get(room_id)
        if runner is not None:
            runner.request(RoomCommand.leave)
            if runner.browser is None:  # waiting for a slot or backing off: nothing to leave
                await runner.cancel()
                await self.repository.sessions.set_room_status(room_id, RoomStatus.ended, reason="left")
            return
        await self.repository.sessions.set_room_status(room_id, RoomStatus.ended, reason="left")

    async def update_context(self, room_id: str, text: str) -> None:
        runner = self._runners.get(room_id)
        if runner is None:
            return
        try:
            await runner.update_context(text)
        except VendorError as exc:
            raise FarmError(f"LiveAvatar refused the new instructions: {exc.message}") from None
        runner.refresh_avatar()

    def live_media(self, room_id: str) -> LiveMedia | None:
        return self.services.media.get(room_id)

    # ---- reconciliation, reaper, meter ----------------------------------------------------------------------

    async def _reconcile(self) -> None:
        """After a restart (clean or not): close what the old manager left open, relaunch what is wanted."""
        repo = self.repository
        for bot in await repo.bots.unfinished():
            await repo.bots.finish(bot.id, status="lost", end_reason="the manager stopped before this bot ended")
        await self.reap()
        for session in await repo.sessions.all(status=SessionStatus.ending, limit=1000):
            await repo.sessions.end_open_rooms(session.id, reason="session_ended")
        for session in await repo.sessions.all(status=SessionStatus.active, limit=1000):
            for room in session.rooms:
                if not room.status.terminal:
                    await self._launch(session.id, room.id, first_status_reason="server_restart")

    async def reap(self) -> None:
        """Stop vendor sessions this farm started that no running bot owns, and close rows of ended ones."""
        await self.billing.reap()

    async def meter(self) -> None:
        """Refresh minutes and credits of live avatars; stop the running avatars of professors whose monthly
        allowance is spent; rooms of a session whose credit budget is spent stop."""
        spent_sessions = await self.billing.meter()
        await cut_off_spent_allowances(self.repository.professors, list(self._runners.values()))
        for session in spent_sessions:
            for runner in self._runners_of(session.id):  # every tick: a runner started since is told too
                runner.request(RoomCommand.budget_reached)
