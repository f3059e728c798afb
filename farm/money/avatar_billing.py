"""The money an avatar costs, in one module: a LiveAvatar session is recorded before the vendor is asked for it,
minted, stopped at the vendor and closed with its minutes and credits; the meter reads the usage of live ones
and tells which sessions have spent their credit budget; the reaper stops sessions this farm recorded that no
live bot owns; at shutdown what is still owned is stopped. Every step that could leave a session billing runs
to its end even when its caller is cancelled, and every failure is logged with its room and vendor session.

The tests of "spent" are farm/money/credit_budget.py (the session) and farm/money/credit_allowance.py (the
professor's month); the room's avatar (farm/room/avatar_sessions.py) decides when to start and stop, this module
how it is paid for."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Coroutine, Sequence
from typing import Any, Protocol

from farm.money.context_cleanup import delete_contexts
from farm.money.credit_budget import budget_spent
from farm.settings import Settings
from farm.vendors.liveavatar_client import LiveAvatarClient, SessionToken, in_words
from farm.vendors.vendor_http import VendorError
from state.models import AvatarSession, AvatarSessionStatus, Session, SessionStatus
from state.repository import NotFound, Repository

log = logging.getLogger("avatarfarm.farm")

STOP_SECONDS = 20.0  # how long one vendor stop may take at shutdown


class FarmServices(Protocol):
    """What billing needs of the farm's shared services (farm/room/services.py has them all)."""

    repository: Repository
    settings: Settings
    liveavatar: LiveAvatarClient
    owned_vendor_sessions: set[str]  # vendor sessions of live bots: the reaper leaves them alone
    owned_avatar_rows: set[str]  # their rows, from before the vendor is called

    def keep(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]: ...


# ---- one session: record, mint, close ----------------------------------------------------------------------


async def open_row(
    services: FarmServices, room_id: str, bot_id: str, *, why: str, humans: Sequence[str]
) -> AvatarSession:
    """Record an avatar session before the vendor is asked for it; the row is owned (the reaper leaves it) until
    it is closed. Recorded even when the caller is cancelled meanwhile: a row written but never known would stay
    open, so it is then closed once written."""
    opening = asyncio.ensure_future(services.repository.avatars.open(room_id, bot_id=bot_id, why=why, humans=humans))
    try:
        row = await asyncio.shield(opening)
    except asyncio.CancelledError:
        services.keep(_close_when_opened(services, room_id, opening), f"abandoned row {room_id}")
        raise
    services.owned_avatar_rows.add(row.id)
    return row


async def mint(
    services: FarmServices, room_id: str, row: str, *, avatar_id: str, context_id: str, voice_id: str | None
) -> SessionToken:
    """Mint the LiveAvatar session of `row` and record its vendor id (owned from now on). A caller cancelled
    while the vendor creates it does not leave it billing: its id is learnt and it is stopped."""
    minting = asyncio.ensure_future(
        services.liveavatar.session_token(
            avatar_id=avatar_id, context_id=context_id, voice_id=voice_id, quality=services.settings.avatar_quality
        )
    )
    try:
        minted = await asyncio.shield(minting)
        services.owned_vendor_sessions.add(minted.session_id)
        recording = asyncio.ensure_future(
            services.repository.avatars.assigned(row, vendor_session_id=minted.session_id)
        )
        await asyncio.shield(recording)
    except asyncio.CancelledError:
        # Cancelled while minting or while recording what was minted: either way the caller never learns the
        # vendor session, so it is recorded and stopped here.
        services.keep(_stop_when_minted(services, room_id, row, minting), f"abandoned mint {room_id}")
        raise
    return minted


async def not_minted(services: FarmServices, room_id: str, row: str, exc: VendorError) -> None:
    """The vendor would not make the session of `row` (or its context): the row closes failed, nothing billed.
    Closed even when the caller is cancelled meanwhile (its bot ending as the refusal came back): a row left
    `requested` would count as open for ever."""
    await asyncio.shield(services.keep(_close_refused(services, room_id, row, exc), f"failed mint {room_id}"))


async def _close_refused(services: FarmServices, room_id: str, row: str, exc: VendorError) -> None:
    await close_avatar_row(services, row, None, f"token: {in_words(exc)}"[:200], failed=True, room_id=room_id)


async def close_avatar_row(
    services: FarmServices,
    row: str | None,
    vendor: str | None,
    end_reason: str,
    *,
    stop_vendor: bool = True,
    failed: bool = False,
    room_id: str | None = None,
) -> None:
    """Stop `vendor` (API key; idempotent) and close `row` with the vendor's minutes and credits.

    A stop that fails is logged and left to the reaper, which stops recorded sessions no live bot owns; a usage
    read that fails is logged and the row closes with the minutes the meter last saw."""
    if vendor is not None:
        if stop_vendor:
            try:
                await services.liveavatar.stop_session(vendor, "USER_CLOSED")
            except VendorError as exc:
                log.warning(
                    "room %s: could not stop LiveAvatar session %s (the reaper will retry): %s", room_id, vendor, exc
                )
        services.owned_vendor_sessions.discard(vendor)
    if row is None:
        return
    minutes = credits = None
    if vendor is not None:
        minutes, credits = await _usage(services, vendor, room_id, "its row keeps the last metered minutes")
    await services.repository.avatars.close(
        row,
        status=AvatarSessionStatus.failed if failed else AvatarSessionStatus.stopped,
        end_reason=end_reason,
        minutes=minutes,
        credits=credits,
    )
    services.owned_avatar_rows.discard(row)


async def _usage(
    services: FarmServices, vendor: str, room_id: str | None, otherwise: str
) -> tuple[float | None, float | None]:
    """The minutes and credits LiveAvatar counts for `vendor`; (None, None), logged, when it cannot say."""
    try:
        usage = await services.liveavatar.session(vendor)
    except VendorError as exc:
        log.warning(
            "room %s: could not read the usage of LiveAvatar session %s (%s): %s", room_id, vendor, otherwise, exc
        )
        return None, None
    return usage.duration / 60.0, usage.credits_consumed


async def _close_when_opened(services: FarmServices, room_id: str, opening: asyncio.Future[AvatarSession]) -> None:
    """A row being written when its start was cancelled: close it once it is there (nothing was minted for it)."""
    try:
        row = await opening
    except (NotFound, sqlite3.Error) as exc:
        log.info("room %s: an abandoned avatar session was not recorded (%s); nothing to close", room_id, exc)
        return
    await close_avatar_row(services, row.id, None, "abandoned before it was minted", room_id=room_id)


async def _stop_when_minted(
    services: FarmServices, room_id: str, row: str, minting: asyncio.Future[SessionToken]
) -> None:
    """A mint whose caller went away: record the vendor session it made (so the reaper knows it), then stop it."""
    try:
        minted = await minting
    except VendorError as exc:
        await _close_refused(services, room_id, row, exc)
        return
    try:
        await services.repository.avatars.assigned(row, vendor_session_id=minted.session_id)
    except (NotFound, ValueError) as exc:  # stopped all the same; the row closes below if it is there
        log.warning(
            "room %s: could not record LiveAvatar session %s on its row %s: %s", room_id, minted.session_id, row, exc
        )
    await close_avatar_row(services, row, minted.session_id, "abandoned before it started", room_id=room_id)


# ---- the farm's rounds: meter, reaper, shutdown ----------------------------------------------------------


class AvatarBilling:
    """The farm's background money work over every room: the meter, the reaper, the stops at shutdown."""

    def __init__(self, services: FarmServices, *, reaper_interval: float) -> None:
        self.s = services
        self._reaper_interval = reaper_interval
        self._strangers_seen: list[str] = []
        self._budget_told: set[str] = set()

    async def meter(self) -> list[Session]:
        """Refresh minutes and credits of live avatars from the vendor; returns the active sessions whose credit
        budget is spent (each recorded once as `session.budget_reached`)."""
        repo = self.s.repository
        for row in await repo.avatars.unclosed():
            if row.vendor_session_id and row.status is AvatarSessionStatus.active:
                # Unread, the budget is judged on the minutes last read until the next tick.
                minutes, credits = await _usage(self.s, row.vendor_session_id, row.room_id, "the meter tries again")
                if minutes is not None and credits is not None:
                    await repo.avatars.record_usage(row.id, minutes=minutes, credits=credits)
        budget = self.s.settings.session_credit_budget
        if budget is None:
            return []
        spent = []
        for session in await repo.sessions.all(status=SessionStatus.active, limit=1000):
            if not budget_spent(session, budget):
                continue
            spent.append(session)
            if session.id not in self._budget_told:
                self._budget_told.add(session.id)
                await repo.events.append(
                    "session.budget_reached",
                    session_id=session.id,
                    detail={"credits": round(session.usage.credits, 3), "budget": budget},
                )
        return spent

    async def reap(self) -> None:
        """Stop vendor sessions this farm started that no running bot owns, and close rows of ended ones."""
        client, repo = self.s.liveavatar, self.s.repository
        try:
            active = await client.active_sessions()
        except VendorError as exc:
            log.warning("reaper could not list LiveAvatar sessions: %s", exc)
            return
        # Only sessions this farm recorded are stopped: the same API key may serve other applications.
        known = await repo.avatars.known_vendor_sessions([v.id for v in active])
        reaped = []
        for vendor in active:
            # The live set, not the snapshot: a runner may have minted and started a session while we listed.
            if vendor.id in known and vendor.id not in self.s.owned_vendor_sessions:
                try:
                    await client.stop_session(vendor.id, "ZOMBIE_SESSION_REAP")
                    reaped.append(vendor.id)
                except VendorError as exc:  # still billing: the next round tries again
                    log.warning(
                        "room %s: the reaper could not stop LiveAvatar session %s (tried again in %.0f s): %s",
                        known[vendor.id],
                        vendor.id,
                        self._reaper_interval,
                        exc,
                    )
        strangers = sorted(v.id for v in active if v.id not in known)
        if strangers and strangers != self._strangers_seen:
            self._strangers_seen = strangers
            log.info("%d active LiveAvatar session(s) were not started by this farm; left alone", len(strangers))
            await repo.events.append("farm.foreign_avatar_sessions", detail={"vendor_sessions": strangers})
        for row in await repo.avatars.unclosed():
            if row.id in self.s.owned_avatar_rows or row.vendor_session_id in self.s.owned_vendor_sessions:
                continue  # a live bot's session (or one being minted right now)
            minutes = credits = None
            if row.vendor_session_id:
                minutes, credits = await _usage(
                    self.s, row.vendor_session_id, row.room_id, "reaped; its row keeps the last metered minutes"
                )
            await repo.avatars.close(
                row.id, status=AvatarSessionStatus.stopped, end_reason="reaped", minutes=minutes, credits=credits
            )
        if reaped:
            await repo.events.append("farm.reaped", detail={"vendor_sessions": reaped})
        await delete_contexts(repo.sessions, client)

    async def stop_owned(self) -> None:
        """At shutdown, after the rooms' own clean-ups: stop what live bots still own (recorded: the reaper
        stops at the next start whatever this could not)."""
        for vendor in sorted(self.s.owned_vendor_sessions):
            try:
                await asyncio.wait_for(self.s.liveavatar.stop_session(vendor, "USER_CLOSED"), STOP_SECONDS)
                self.s.owned_vendor_sessions.discard(vendor)
            except (VendorError, TimeoutError) as exc:
                log.error("could not stop LiveAvatar session %s at shutdown: %s", vendor, exc)
