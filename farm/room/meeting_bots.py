"""Which participants of a Zoom meeting are the farm's own bots, by Zoom's identity and never by name (a student
may call themselves "Ana (AI)"). Each bot page reports its own Zoom user id and participant UUID once it has
joined, and again when Zoom changes them (`meeting.identity`); the farm tells every page of the same meeting
the whole set (PageCommands.know_bots), so that no bot counts another as a student, and no bot's voice keeps
another's avatar talking (two bots share a room during a move, for instance).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass

from farm.browsers.browser_node import PAGE_ERRORS
from farm.room.page_commands import PageCommands
from farm.room.page_messages import BotIdentity, KnowBots

log = logging.getLogger("avatarfarm.farm")

# How long one page may take to take the list (a page that does not answer gets the next one).
TELL_TIMEOUT_SECONDS = 5.0


@dataclass
class _Page:
    meeting: str
    identity: BotIdentity
    commands: PageCommands


class MeetingBots:
    """The identities of every live bot attempt, by meeting; tells a meeting's pages when one changes."""

    def __init__(self) -> None:
        self._pages: dict[str, _Page] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._telling: set[asyncio.Task[None]] = set()

    def report(self, bot_id: str, meeting: str, identity: BotIdentity, commands: PageCommands) -> None:
        """A bot page said who it is in Zoom: remember it and tell the meeting's pages (in the background: the
        reporting bot's supervision never waits on other pages)."""
        self._pages[bot_id] = _Page(meeting, identity, commands)
        task = asyncio.create_task(self._tell(meeting), name=f"know bots of {meeting}")
        self._telling.add(task)
        task.add_done_callback(self._telling.discard)

    def forget(self, bot_id: str) -> None:
        """The bot attempt ended (its Zoom participant is gone with it)."""
        self._pages.pop(bot_id, None)

    def known(self, meeting: str) -> KnowBots:
        pages = [p for p in self._pages.values() if p.meeting == meeting]
        return KnowBots(
            user_ids=sorted({p.identity.user_id for p in pages}),
            participant_uuids=sorted({p.identity.participant_uuid for p in pages if p.identity.participant_uuid}),
        )

    async def _tell(self, meeting: str) -> None:
        # One telling at a time per meeting, each with the set as it is then: a page never ends on an older one.
        async with self._locks[meeting]:
            bots = self.known(meeting)
            pages = [p for p in self._pages.values() if p.meeting == meeting]
            await asyncio.gather(*(self._send(page, bots) for page in pages))

    @staticmethod
    async def _send(page: _Page, bots: KnowBots) -> None:
        try:
            async with asyncio.timeout(TELL_TIMEOUT_SECONDS):
                await page.commands.know_bots(bots)
        except PAGE_ERRORS as exc:  # a page gone or busy: it learns with the next report
            log.info("could not tell a bot page of meeting %s its bots: %s", page.meeting, exc)
