"""The avatar sessions of one bot attempt: when one starts, is replaced and stops (what each costs, and the
shielded record, mint and close, are farm/money/avatar_billing.py's).

A bot page asks for an avatar (`avatar.wanted`) only from its breakout room, when a student is there. Then,
and only then, this module checks the session's credit budget, refreshes the room's LiveAvatar context (the
room's instructions, a summary of the conversation so far, a greeting with the students' meeting names),
records the avatar_sessions row, mints the session token and hands it to the page. The page reports the
avatar ready, dropped or let go (`avatar.released`: idle, room empty, rooms closing); every end closes the
vendor session with the API key (the SDK's own stop does nothing while it connects, and a closing page loses
it) and the row with its minutes and credits. Nothing is billed while the bot waits in the main session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from farm.browsers.browser_node import PAGE_ERRORS
from farm.cancellation import finish_cancelled
from farm.conversation.avatar_context import AvatarContext, SourcedPassage, build_context
from farm.conversation.summary import greeting, summarize
from farm.errors import first_line
from farm.materials.passage_selection import RoomNeeds, select_passages
from farm.money.avatar_billing import close_avatar_row, mint, not_minted, open_row
from farm.money.credit_allowance import allowance_refusal
from farm.money.credit_budget import budget_spent, budget_words
from farm.room.attempt_messages import AttemptMessage, AvatarFailed
from farm.room.recovery_policy import backoff_seconds
from farm.vendors.liveavatar_client import LiveAvatarRefusal, in_words
from farm.vendors.vendor_http import VendorError
from state.models import GivenPassage, Room, Session, SessionStatus, TranscriptRole
from state.vocabulary import reason_words

if TYPE_CHECKING:
    from farm.room.page_commands import PageCommands
    from farm.room.services import FarmServices

# A student asked the AI tutor to stop (farm/room/student_choice.py): no avatar until the professor restarts the room.
STUDENT_DECLINED = "student_declined"
log = logging.getLogger("avatarfarm.farm")

# An avatar that is not seen within this long is given up (the SDK's own budget: 15 s socket + 15 s peer
# connection + 30 s participants, with room to spare).
START_TIMEOUT_SECONDS = 75.0
# Failed starts or drops in a row before the attempt ends with avatar_unavailable / avatar_lost.
AVATAR_FAILURE_BUDGET = 3
# A page told "not now" (budget spent, session ending) asks again after this long.
DECLINED_RETRY_SECONDS = 60.0
# After LiveAvatar said the account has no credits or the avatar is gone, a page asks again only this rarely.
FINAL_RETRY_SECONDS = 600.0
# The farm keeps each live avatar session alive with the API key (the SDK's keepAlive never reports failure).
KEEP_ALIVE_SECONDS = 60.0
# A picture frozen this long is handled like a drop.
STALL_RESTART_SECONDS = 10.0
# LiveAvatar stop reasons after which no new session is started automatically, as reasons in words.
FINAL_REASONS = {
    "NO_CREDITS": "avatar_no_credits",
    "MAX_DURATION_REACHED": "avatar_max_duration",
    "AVATAR_DELETED": "avatar_deleted",
}
Post = Callable[[AttemptMessage], None]


@dataclass
class _Current:
    row: str
    vendor: str | None = None
    ready: bool = False
    requested_at: float = 0.0


class RoomAvatar:
    """At most one avatar session at a time for the bot of one attempt."""

    def __init__(
        self,
        services: FarmServices,
        *,
        session_id: str,
        room_id: str,
        bot_id: str,
        page: Callable[[], PageCommands | None],
        post: Post,
    ) -> None:
        self.s = services
        self.session_id = session_id
        self.room_id = room_id
        self.bot_id = bot_id
        self._page = page
        self._post = post
        self._current: _Current | None = None
        # A session being replaced (new instructions): closed once its successor is seen, so the page never
        # loses its picture to an early vendor stop.
        self._retiring: _Current | None = None
        self._retiring_reason = "replaced"
        self._last_humans: list[str] = []
        self._keep_alive: asyncio.Task[None] | None = None
        self._stall: asyncio.Task[None] | None = None
        self._vendor_stop: str | None = None  # LiveAvatar's stop_reason for the current session, if it said one
        self.final_reason: str | None = None  # a reason (in REASON_WORDS) that stops automatic restarts
        self.deaf_restarted = False
        # Why the farm started the avatar that is connecting or live now in place of a lost one (a reason in
        # REASON_WORDS): the room keeps saying it until the page moves on (state_moved_on).
        self.restarted_for: str | None = None
        self._starting: asyncio.Task[None] | None = None
        self._deadline: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        # Closes under way: each runs to its end even when its caller is cancelled, and `shut` waits for them.
        self._closes: set[asyncio.Task[None]] = set()
        self.failures = 0
        self.sessions_started = 0

    @property
    def vendor_session(self) -> str | None:
        return self._current.vendor if self._current else None

    @property
    def humans(self) -> list[str]:
        """The meeting names of the people in the room when the page last asked for an avatar."""
        return list(self._last_humans)

    @property
    def busy(self) -> bool:
        return self._current is not None or (self._starting is not None and not self._starting.done())

    # ---- the page asks, the farm decides ----------------------------------------------------------------

    def want(self, humans: list[str], why: str) -> None:
        """The page asks for an avatar (a student is in its room). Duplicates are ignored."""
        if self.busy:
            return
        if self.final_reason in ("avatar_no_credits", "avatar_deleted", STUDENT_DECLINED) and why != "restart":
            words = reason_words(self.final_reason)
            self._starting = asyncio.create_task(self._decline(words, FINAL_RETRY_SECONDS))
            return
        self.final_reason = None
        self._last_humans = list(humans)
        self._starting = asyncio.create_task(self._start(humans, why), name=f"avatar start {self.room_id}")

    async def _start(self, humans: list[str], why: str) -> None:
        refusal = await self._refusal()
        if refusal is not None:
            await self._decline(refusal, DECLINED_RETRY_SECONDS)
            return
        try:
            token = await self._mint(humans, why)
        except LiveAvatarRefusal as exc:  # final (a 4xx): asking again cannot help, so the room fails now
            log.warning("room %s: LiveAvatar refused the avatar: %s", self.room_id, exc)
            self._post(AvatarFailed("avatar_refused", exc.words))
            return
        except VendorError as exc:
            await self._start_failed(f"The avatar service could not start a session: {in_words(exc)}")
            return
        refusal = await self._refusal()  # the session may have been ended, or its budget spent, while we minted
        if refusal is not None:
            await self.close("the session ended while its avatar was being minted")
            await self._decline(refusal, DECLINED_RETRY_SECONDS)
            return
        page = self._page()
        if page is None:
            await self.close("the bot's page is gone")
            return
        try:
            await page.start_avatar(token)
        except PAGE_ERRORS as exc:  # the page left its room, is gone, or did not answer: the session must not bill
            log.info("room %s: the page did not take its avatar: %s", self.room_id, first_line(exc))
            await self.close("the bot's page did not take the avatar (it had left its room, or did not answer in time)")
            return
        self._deadline = asyncio.create_task(self._start_deadline(), name=f"avatar deadline {self.room_id}")

    async def _refusal(self) -> str | None:
        """Why no avatar may start now, in words; None when one may."""
        session = await self.s.repository.sessions.get(self.session_id)
        if session is None or session.status is not SessionStatus.active:
            return "The session is ending."
        budget = self.s.settings.session_credit_budget
        if budget is not None and budget_spent(session, budget):
            return budget_words(session, budget)
        return await allowance_refusal(self.s.repository.professors, session.owner_id)

    async def _decline(self, words: str, retry_after: float) -> None:
        await self.s.repository.events.append("avatar.declined", room_id=self.room_id, detail={"words": words})
        page = self._page()
        if page is not None:
            with contextlib.suppress(*PAGE_ERRORS):
                await page.decline_avatar(words, retry_after)

    async def _start_failed(self, words: str) -> None:
        self.failures += 1
        await self.s.repository.events.append(
            "avatar.start_failed", room_id=self.room_id, detail={"words": words, "failures": self.failures}
        )
        if self.failures >= AVATAR_FAILURE_BUDGET:
            self._post(AvatarFailed("avatar_unavailable", words))
        else:
            await self._decline(words, backoff_seconds(self.failures))

    async def _start_deadline(self) -> None:
        await asyncio.sleep(START_TIMEOUT_SECONDS)
        current = self._current
        if current is None or current.ready:
            return
        log.warning("avatar for room %s not seen within %.0f s; stopping it", self.room_id, START_TIMEOUT_SECONDS)
        page = self._page()
        if page is not None:
            with contextlib.suppress(*PAGE_ERRORS):
                await page.stop_avatar("start_timeout")
        await self.close("not seen within the start timeout", failed=True)
        await self._start_failed("The avatar did not appear in time.")

    # ---- what the page reports --------------------------------------------------------------------------

    async def ready(self) -> None:
        current = self._current
        if current is None or current.vendor is None:
            return
        current.ready = True
        self.failures = 0
        self.sessions_started += 1
        await self.s.repository.avatars.started(current.row, vendor_session_id=current.vendor)
        self._keep_alive = asyncio.create_task(self._keep_alive_loop(current.vendor), name=f"keep-alive {self.room_id}")
        retiring, self._retiring = self._retiring, None
        if retiring is not None:
            await self._close(retiring, self._retiring_reason)

    async def start_failed(self, message: str) -> None:
        await self.close(f"start failed: {message}"[:200], failed=True)
        await self._start_failed(f"The avatar could not start ({message[:160]}).")

    async def released(self, why: str) -> None:
        """The page let its avatar go (idle, room empty, rooms closing, left the room): billing stops now."""
        await self.close(why)

    def vendor_stopped(self, stop_reason: str | None) -> None:
        """LiveAvatar said why it ended the session (session.stopped); the drop that follows is judged by it."""
        self._vendor_stop = stop_reason

    async def dropped(self, reason: str, session_id: str | None = None) -> str | None:
        """The avatar's connection ended without being asked to: close it and start a new one in place — unless
        LiveAvatar ended it for good (no credits, maximum duration, avatar deleted): then the page is told to
        stop, and the reason (in words) is returned for the room. A drop of a session the farm has already
        replaced only closes that one. A drop of one the farm had already closed while nothing replaced it (a
        start it gave up on, which the page took late) leaves the page waiting without an avatar: it gets a new
        one like any drop."""
        if self.final_reason == STUDENT_DECLINED and self._current is None:
            return None  # the farm stopped it at a student's request: nothing to bring back
        current_vendor = self._current.vendor if self._current else None
        if session_id and session_id != current_vendor:
            retiring = self._retiring
            if retiring is not None and retiring.vendor == session_id:
                self._retiring = None
                await self._close(retiring, f"dropped while replaced: {reason}"[:200])
                return None
            if self.busy:
                return None  # a newer session is live or on its way
            log.info("room %s: the page lost LiveAvatar session %s, closed by the farm", self.room_id, session_id)
        await self.s.repository.events.append(
            "avatar.dropped", room_id=self.room_id, detail={"reason": reason, "stop_reason": self._vendor_stop}
        )
        final = FINAL_REASONS.get(self._vendor_stop or "")
        self._vendor_stop = None
        await self.close(f"dropped: {reason}"[:200])
        if final is not None:
            self.final_reason = final
            page = self._page()
            if page is not None:
                with contextlib.suppress(*PAGE_ERRORS):
                    await page.stop_avatar(final)
            return final
        self.failures += 1
        if self.failures >= AVATAR_FAILURE_BUDGET:
            self._post(AvatarFailed("avatar_lost"))
            return None
        # A new session in place: the bot is still in its room with its students.
        self.restarted_for = "avatar_dropped"
        self.want(self._last_humans, "restart")
        await self.s.repository.events.append(
            "avatar.restarted", room_id=self.room_id, detail={"attempt": self.failures}
        )
        return None

    async def declined_by_student(self) -> None:
        """A student asked not to talk with the AI: the avatar stops now (billing too) and starts again in this
        room only when the professor restarts it (a new bot attempt)."""
        self.final_reason = STUDENT_DECLINED
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            await finish_cancelled(self._starting, f"the avatar start of room {self.room_id}")
        await self.close("a student declined the AI tutor")
        page = self._page()
        if page is not None:
            with contextlib.suppress(*PAGE_ERRORS):
                await page.stop_avatar(STUDENT_DECLINED)

    async def cut_off(self, reason: str, words: str) -> bool:
        """Stop the avatar now (billing too) because money ran out (`reason`, said in `words`); the bot stays in
        its room, and the page's next ask is declined in words while the money is still out. True when an
        avatar was running or starting."""
        starting = self._starting is not None and not self._starting.done()
        running = self._current is not None
        if not (starting or running):
            return False
        if starting and self._starting is not None:
            self._starting.cancel()
            await finish_cancelled(self._starting, f"the avatar start of room {self.room_id}")
        await self.close(words[:200])
        page = self._page()
        if page is not None:
            with contextlib.suppress(*PAGE_ERRORS):
                await page.stop_avatar(reason)
        return True

    async def deaf(self) -> bool:
        """Its voice chat never became ACTIVE: replace it once (like new instructions, the old session is closed
        once the new one is seen, so the page's picture never drops). True when it was replaced."""
        if self.deaf_restarted or self._current is None or not self._current.ready:
            return False
        self.deaf_restarted = True
        self.restarted_for = "avatar_deaf"
        self._replace("restart", "replaced: its voice chat was not active")
        return True

    def stalled(self, stalled: bool) -> None:
        """The picture froze (or came back). Frozen for STALL_RESTART_SECONDS, it is handled like a drop."""
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None
        if stalled:
            self._stall = asyncio.create_task(self._stall_watch(), name=f"stall {self.room_id}")

    async def _stall_watch(self) -> None:
        """Frozen for good: replace the session in place (the page still holds it, so the old one is closed only
        once the new one is seen)."""
        await asyncio.sleep(STALL_RESTART_SECONDS)
        self._stall = None
        if self._current is None or not self._current.ready:
            return
        await self.s.repository.events.append("avatar.dropped", room_id=self.room_id, detail={"reason": "stalled"})
        self.failures += 1
        if self.failures >= AVATAR_FAILURE_BUDGET:
            self._post(AvatarFailed("avatar_lost"))
            return
        self.restarted_for = "avatar_stalled"
        self._replace("restart", "replaced: its picture froze")
        await self.s.repository.events.append(
            "avatar.restarted", room_id=self.room_id, detail={"attempt": self.failures}
        )

    async def _keep_alive_loop(self, vendor: str) -> None:
        while True:
            await asyncio.sleep(KEEP_ALIVE_SECONDS)
            try:
                await self.s.liveavatar.keep_alive(vendor)
            except VendorError as exc:
                log.warning("keep-alive of LiveAvatar session %s failed: %s", vendor, exc)
                await self.s.repository.events.append(
                    "avatar.keep_alive_failed", room_id=self.room_id, detail={"words": exc.message[:200]}
                )

    async def refresh(self) -> None:
        """New instructions for a live avatar: a fresh session with the new context."""
        if self._current is None or not self._current.ready:
            return
        self.restarted_for = None
        self._replace("context_updated", "context updated")
        await self.s.repository.events.append("avatar.refreshed", room_id=self.room_id, detail={})

    def _replace(self, why: str, end_reason: str) -> None:
        """A new session in place of the live one. The page replaces it itself (its stop is not a drop); the old
        vendor session is closed once the new one is seen."""
        for task in (self._deadline, self._keep_alive, self._stall):
            if task is not None:
                task.cancel()
        self._deadline = self._keep_alive = self._stall = None
        self._retiring, self._current = self._current, None
        self._retiring_reason = end_reason
        self.want(self._last_humans, why)

    # ---- minting and closing ----------------------------------------------------------------------------

    async def _mint(self, humans: list[str], why: str) -> str:
        """Record, then mint, a LiveAvatar session (farm/money/avatar_billing.py); returns its session token."""
        repo = self.s.repository
        session = await repo.sessions.require(self.session_id)
        room = await repo.sessions.get_room(self.room_id)
        assert room is not None
        row = await open_row(self.s, self.room_id, self.bot_id, why=why, humans=humans)
        current = _Current(row=row.id, requested_at=time.monotonic())
        self._current = current
        try:
            context_id = await self._prepare_context(session, room, humans, row.id)
            minted = await mint(
                self.s,
                self.room_id,
                row.id,
                avatar_id=session.professor.avatar_id,
                context_id=context_id,
                voice_id=session.professor.voice_id,
            )
        except VendorError as exc:
            self._current = None
            await not_minted(self.s, self.room_id, row.id, exc)
            raise
        current.vendor = minted.session_id
        return minted.token

    async def _prepare_context(self, session: Session, room: Room, humans: list[str], row: str) -> str:
        """The room's context with the course passages it needs, the conversation so far and a greeting for who
        is there; records which passages avatar session `row` was given."""
        lines = await self.s.repository.transcripts.in_room(self.room_id, limit=200)
        summary = summarize(lines)
        needs = RoomNeeds(
            conversation=[line.text for line in lines if line.role is TranscriptRole.student],
            instructions=room.context_text or "",
            background=room.student.background,
        )
        try:
            passages = await select_passages(
                self.s.repository.materials,
                course=session.course.name,
                room_id=room.id,
                needs=needs,
                owner_id=session.owner_id,
            )
        except Exception:  # the course's passages are help, not a condition: the avatar starts without them
            log.exception("room %s: course passages could not be selected; the avatar starts without them", room.id)
            passages = []
        base = room_context(session, room, passages=passages, reserved=len(summary) + 2 if summary else 0)
        if base.passages:
            try:
                await self.s.repository.materials.record_given_passages(
                    row, [GivenPassage(p.passage_id, p.source, p.text, p.pinned) for p in base.passages]
                )
            except Exception:  # the record is for the professor's eyes; the avatar starts all the same
                log.exception("room %s: could not record the passages given to avatar session %s", room.id, row)
        prompt = base.prompt if not summary else f"{base.prompt}\n\n{summary}"
        opening = greeting(
            names=humans or [room.student.name],
            professor_name=session.professor.name,
            course_name=session.course.name,
            returning=bool(summary),
        )
        if room.avatar_context_id:
            try:
                await self.s.liveavatar.update_context(room.avatar_context_id, prompt=prompt, opening_text=opening)
                return room.avatar_context_id
            except LiveAvatarRefusal as exc:
                if exc.kind != "context_not_found":
                    raise
                log.info("room %s: its LiveAvatar context was deleted there; a new one is made", self.room_id)
        context_id = await self.s.liveavatar.create_context(name=base.name, prompt=prompt, opening_text=opening)
        await self.s.repository.sessions.set_avatar_context(self.room_id, context_id)
        return context_id

    async def close(self, end_reason: str, *, failed: bool = False) -> None:
        """Stop the current avatar session (if any) at the vendor and close its row."""
        for task in (self._deadline, self._keep_alive, self._stall):
            if task is not None:
                task.cancel()
        self._deadline = self._keep_alive = self._stall = None
        current, self._current = self._current, None
        retiring, self._retiring = self._retiring, None
        if retiring is not None:
            await self._close(retiring, self._retiring_reason)
        if current is not None:
            await self._close(current, end_reason, failed=failed)

    async def _close(self, current: _Current, end_reason: str, *, failed: bool = False) -> None:
        """Close `current` to its end whatever happens to the caller: a close cut short by a cancellation (the
        attempt shut while its start was closing a session) would leave the row open and the vendor billing."""
        closing = self.s.keep(self._closing(current, end_reason, failed), f"avatar close {self.room_id}")
        self._closes.add(closing)
        closing.add_done_callback(self._closes.discard)
        await asyncio.shield(closing)

    async def _closing(self, current: _Current, end_reason: str, failed: bool) -> None:
        async with self._lock:
            await close_avatar_row(
                self.s, current.row, current.vendor, end_reason, stop_vendor=True, failed=failed, room_id=self.room_id
            )

    async def shut(self, end_reason: str) -> None:
        """The attempt is over: no start may finish after this, and nothing is left billing."""
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            await finish_cancelled(self._starting, f"the avatar start of room {self.room_id}")
        await self.close(end_reason)
        if self._closes:  # closes begun by the start just cancelled, or by a report before it
            await asyncio.wait(set(self._closes))


def room_context(
    session: Session, room: Room, *, passages: Sequence[SourcedPassage] = (), reserved: int = 0
) -> AvatarContext:
    professor = session.professor
    return build_context(
        professor_name=professor.name,
        teaching_style=professor.teaching_style,
        student_name=room.student.name,
        student_background=room.student.background,
        course_name=session.course.name,
        course_material=session.course.context,
        room_name=room.name,
        extra_instructions=room.context_text,
        passages=passages,
        reserved=reserved,
    )
