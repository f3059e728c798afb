"""Transcript reconciliation: after an avatar session ends, the room's transcript is compared with LiveAvatar's
own (GET /v1/sessions/{id}/transcript) and the lines the bot page never reported are filled in — never twice.

A line matches a vendor line when both are by the same side (student/avatar), say the same words (case,
punctuation and spacing aside) and are close in time; each stored line matches at most one vendor line, so an
utterance said twice is kept twice. Filled-in avatar lines carry the professor's AI name; filled-in student
lines carry UNIDENTIFIED_STUDENT, since the vendor does not know who in the meeting spoke.

The work runs in the background (never on a room's exit path): the `avatar.stopped` event wakes a sweep over
every ended, unreconciled avatar session, once it has settled, and a periodic sweep catches what a restart
or a vendor outage left behind. The mark "reconciled" commits with the added lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable

from farm.cancellation import finish_cancelled
from farm.vendors.liveavatar_client import LiveAvatarClient, VendorTranscriptLine
from farm.vendors.vendor_http import VendorError
from state.models import TranscriptLine, TranscriptRole
from state.repository import Repository
from state.transcript_log import ClosedAvatarSession, NewLine

log = logging.getLogger("avatarfarm.farm")

UNIDENTIFIED_STUDENT = "Student (not identified)"
MATCH_SECONDS = 120.0  # clocks and delivery delays differ; the words decide, time only keeps them apart
SETTLE_SECONDS = 10.0  # lines the page reported just before the avatar stopped are stored by then
SWEEP_SECONDS = 60.0
GIVE_UP_SECONDS = 24 * 3600.0
MAX_PAGES = 100
_NOT_WORDS = re.compile(r"[^\w]+", re.UNICODE)


def words_of(text: str) -> str:
    return " ".join(_NOT_WORDS.sub(" ", text.lower()).split())[:3000]


def _role(vendor_role: str) -> TranscriptRole | None:
    return {"user": TranscriptRole.student, "avatar": TranscriptRole.avatar}.get(vendor_role)


def missing_lines(stored: list[TranscriptLine], vendor: list[VendorTranscriptLine]) -> list[VendorTranscriptLine]:
    """The vendor lines no stored line accounts for (in vendor order)."""
    unmatched = list(stored)
    missing = []
    for line in vendor:
        role = _role(line.role)
        said = words_of(line.text)
        if role is None or not said:
            continue
        candidates = [
            s
            for s in unmatched
            if s.role is role and words_of(s.text) == said and abs(s.time - line.time) <= MATCH_SECONDS
        ]
        if candidates:
            unmatched.remove(min(candidates, key=lambda s: abs(s.time - line.time)))
        else:
            missing.append(line)
    return missing


class TranscriptReconciler:
    def __init__(
        self,
        repository: Repository,
        liveavatar: LiveAvatarClient,
        *,
        settle_seconds: float = SETTLE_SECONDS,
        sweep_seconds: float = SWEEP_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.repository = repository
        self.liveavatar = liveavatar
        self._settle = settle_seconds
        self._sweep_every = sweep_seconds
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="transcript reconciler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await finish_cancelled(self._task, "the transcript reconciler")
            self._task = None

    async def _run(self) -> None:
        listener = asyncio.create_task(self._listen())
        try:
            while True:
                try:
                    await self.sweep()
                except Exception:
                    log.exception("transcript reconciliation sweep failed")
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._sweep_every):  # (not wait_for: it can drop a cancellation)
                        await self._wake.wait()
                await asyncio.sleep(self._settle)
        finally:
            listener.cancel()
            await finish_cancelled(listener, "the transcript reconciler's listener")

    async def _listen(self) -> None:
        while True:
            subscription = self.repository.bus.subscribe()
            try:
                async for event in subscription:
                    if event.kind == "avatar.stopped":
                        self._wake.set()
            finally:
                subscription.close()
            await asyncio.sleep(1.0)

    async def sweep(self) -> int:
        """Reconcile every settled, unreconciled avatar session; returns how many lines were added."""
        added = 0
        for avatar in await self.repository.transcript_log.unreconciled(stopped_before=self._clock() - self._settle):
            added += await self.reconcile(avatar)
        return added

    async def reconcile(self, avatar: ClosedAvatarSession) -> int:
        try:
            vendor = await self._vendor_lines(avatar.vendor_session_id)
        except VendorError as exc:
            if exc.status == 404:
                await self.repository.transcript_log.record_reconciliation(
                    avatar, [], vendor_lines=0, note="LiveAvatar has no transcript for this session"
                )
            elif self._clock() - avatar.stopped_at > GIVE_UP_SECONDS:
                await self.repository.transcript_log.record_reconciliation(
                    avatar, [], vendor_lines=0, note=f"gave up: {exc.message}"[:300]
                )
            else:
                log.warning("transcript of %s not reconciled yet: %s", avatar.vendor_session_id, exc.message)
            return 0
        stored = await self.repository.transcript_log.room(
            avatar.room_id, since=avatar.started_at - MATCH_SECONDS, until=avatar.stopped_at + MATCH_SECONDS
        )
        new = [
            NewLine(
                speaker=f"{avatar.professor_name} (AI)" if line.role == "avatar" else UNIDENTIFIED_STUDENT,
                role=TranscriptRole.avatar if line.role == "avatar" else TranscriptRole.student,
                text=line.text[:4000],
                time=line.time,
            )
            for line in missing_lines(stored, vendor)
        ]
        note = f"{len(new)} of {len(vendor)} vendor lines were missing" if new else "complete"
        added = await self.repository.transcript_log.record_reconciliation(
            avatar, new, vendor_lines=len(vendor), note=note
        )
        return len(added)

    async def _vendor_lines(self, vendor_session_id: str) -> list[VendorTranscriptLine]:
        lines: list[VendorTranscriptLine] = []
        start: int | None = None
        for _ in range(MAX_PAGES):
            page = await self.liveavatar.transcript(vendor_session_id, start_timestamp=start)
            lines.extend(page.lines)
            if not page.lines or page.next_timestamp is None or page.next_timestamp == start:
                break
            start = page.next_timestamp
        return lines
