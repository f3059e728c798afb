"""Which participants of a Zoom meeting are the farm's own bots, by Zoom's identity and never by name (a student
may call themselves "Ana (AI)"). Each bot page reports its own Zoom user id and participant UUID once it has
joined, and again when Zoom changes them (`meeting.identity`); the farm tells every page of the same meeting
the whole set (PageCommands.know_bots), so that no bot counts another as a student, and no bot's voice keeps
another's avatar talking (two bots share a room during a move, for instance). A page that does not take the set
(busy past the timeout, or refusing) is told again, with the set as it is then, until it takes one or its attempt
ends: no other report may ever come to carry it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import defaultdict
from dataclasses import dataclass

from farm.browsers.browser_node import PAGE_ERRORS
from farm.room.page_commands import PageCommands
from farm.room.page_messages import BotIdentity, KnowBots

log = logging.getLogger("avatarfarm.farm")

# How long one page may take to take the list.
TELL_TIMEOUT_SECONDS = 5.0
# A page that did not take it is told again after these pauses, then given up on (its attempt is then stuck
# or gone, which its heartbeat watch answers).
RETELL_AFTER_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


@dataclass
class _Page:
    bot_id: str
    meeting: str
    identity: BotIdentity
    commands: PageCommands


class MeetingBots:
    """The identities of every live bot attempt, by meeting; tells a meeting's pages when one changes."""

    def __init__(self) -> None:
        self._pages: dict[str, _Page] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._telling: set[asyncio.Task[None]] = set()
        self._retelling: dict[str, asyncio.Task[None]] = {}

    def report(self, bot_id: str, meeting: str, identity: BotIdentity, commands: PageCommands) -> None:
        """A bot page said who it is in Zoom: remember it and tell the meeting's pages (in the background: the
        reporting bot's supervision never waits on other pages)."""
        self._pages[bot_id] = _Page(bot_id, meeting, identity, commands)
        task = asyncio.create_task(self._tell(meeting), name=f"know bots of {meeting}")
        self._telling.add(task)
        task.add_done_callback(self._telling.discard)

    def forget(self, bot_id: str) -> None:
        """The bot attempt ended (its Zoom participant is gone with it)."""
        self._pages.pop(bot_id, None)
        if (retelling := self._retelling.pop(bot_id, None)) is not None:
            retelling.cancel()

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
            told = await asyncio.gather(*(self._send(page, bots) for page in pages))
        for page, ok in zip(pages, told, strict=True):
            if not ok and page.bot_id not in self._retelling:
                task = asyncio.create_task(self._retell(page), name=f"know bots of {meeting} again")
                self._retelling[page.bot_id] = task
                task.add_done_callback(functools.partial(self._retold, page.bot_id))

    def _retold(self, bot_id: str, task: asyncio.Task[None]) -> None:
        if self._retelling.get(bot_id) is task:
            del self._retelling[bot_id]

    async def _retell(self, page: _Page) -> None:
        for pause in RETELL_AFTER_SECONDS:
            await asyncio.sleep(pause)
            async with self._locks[page.meeting]:
                if self._pages.get(page.bot_id) is not page:
                    return  # its attempt ended
                if await self._send(page, self.known(page.meeting)):
                    return
        log.warning(
            "a bot page of meeting %s never took the list of the farm's bots: it may count another bot as a student",
            page.meeting,
        )

    @staticmethod
    async def _send(page: _Page, bots: KnowBots) -> bool:
        try:
            await page.commands.know_bots(bots, within=TELL_TIMEOUT_SECONDS)
        except PAGE_ERRORS as exc:  # a page gone or busy: told again (_retell)
            log.info("could not tell a bot page of meeting %s its bots: %r", page.meeting, exc)
            return False
        return True
