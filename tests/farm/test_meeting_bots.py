"""The farm's bots of a meeting, by Zoom identity: each page that reports who it is in Zoom makes every page of
the same meeting (and only of that one) learn the whole set; a page that cannot be reached does not keep the
others from learning it; a page that did not take the set is told again until it does, with no other report to
carry it; an ended attempt is forgotten, and no longer told."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from playwright.async_api import Error as PlaywrightError

from farm.browsers.browser_node import BotBrowser
from farm.room import meeting_bots
from farm.room.meeting_bots import MeetingBots
from farm.room.page_commands import PageCommands
from farm.room.page_messages import BotIdentity
from tests.support.polling import until


class Page:
    def __init__(self, *, broken: bool = False, busy: int = 0) -> None:
        self.told: list[dict[str, Any]] = []
        self.broken = broken
        self.busy = busy  # how many tellings it misses first (it does not answer within the timeout)
        self.asked = 0

    async def evaluate(self, expression: str, arg: Any = None, *, within: float) -> Any:
        assert expression == "(command) => window.avatarfarm.knowBots(command)"
        assert within == meeting_bots.TELL_TIMEOUT_SECONDS  # one timeout, the page's own
        self.asked += 1
        if self.broken:
            raise PlaywrightError("Target page, context or browser has been closed")
        if self.busy:
            self.busy -= 1
            raise TimeoutError
        self.told.append(arg)
        return None


def _browser(page: Page) -> PageCommands:
    return PageCommands(cast(BotBrowser, page))


async def test_every_page_of_a_meeting_learns_its_bots_and_no_other_meetings() -> None:
    bots = MeetingBots()
    one, two, gone, elsewhere = Page(), Page(), Page(broken=True), Page()
    bots.report("bot_1", "111", BotIdentity(user_id=16778240, participant_uuid="{A}"), _browser(one))
    bots.report("bot_x", "222", BotIdentity(user_id=16778240), _browser(elsewhere))
    bots.report("bot_gone", "111", BotIdentity(user_id=16778250), _browser(gone))
    bots.report("bot_2", "111", BotIdentity(user_id=16778245, participant_uuid="{B}"), _browser(two))
    everyone = {"user_ids": [16778240, 16778245, 16778250], "participant_uuids": ["{A}", "{B}"]}

    async def settled() -> bool:
        return bool(one.told) and one.told[-1] == everyone and bool(two.told) and two.told[-1] == everyone

    await until(settled, 5, "both pages told every bot of their meeting", every=0.01)
    assert elsewhere.told == [{"user_ids": [16778240], "participant_uuids": []}]

    # A relaunched bot's old attempt is forgotten; its new identity reaches the others.
    bots.forget("bot_gone")
    bots.forget("bot_2")
    bots.report("bot_2", "111", BotIdentity(user_id=16778260, participant_uuid="{B}"), _browser(two))
    now = {"user_ids": [16778240, 16778260], "participant_uuids": ["{A}", "{B}"]}

    async def updated() -> bool:
        return one.told[-1] == now and two.told[-1] == now

    await until(updated, 5, "the pages told the new identity", every=0.01)
    assert bots.known("111").model_dump() == now


async def test_a_page_that_missed_the_set_is_told_again_until_it_takes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(meeting_bots, "RETELL_AFTER_SECONDS", (0.01,) * 5)
    bots = MeetingBots()
    room_1, room_2 = Page(busy=3), Page()
    bots.report("bot_1", "111", BotIdentity(user_id=16778240), _browser(room_1))
    # Room 2's bot reports once, while Room 1's page is busy: no later report will carry the set to it.
    bots.report("bot_2", "111", BotIdentity(user_id=16778245), _browser(room_2))
    everyone = {"user_ids": [16778240, 16778245], "participant_uuids": []}

    async def taken() -> bool:
        return room_1.told == [everyone]

    await until(taken, 5, "Room 1's page told the whole set once it answers", every=0.01)

    # A page that never answers is told again only while its attempt lasts.
    stuck = Page(broken=True)
    bots.report("bot_3", "222", BotIdentity(user_id=16778250), _browser(stuck))
    await until(lambda: stuck.asked >= 2, 5, "the stuck page asked again", every=0.01)
    bots.forget("bot_3")
    asked = stuck.asked
    await asyncio.sleep(0.1)
    assert stuck.asked == asked
