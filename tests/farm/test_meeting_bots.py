"""The farm's bots of a meeting, by Zoom identity: each page that reports who it is in Zoom makes every page of
the same meeting (and only of that one) learn the whole set; a page that cannot be reached does not keep the
others from learning it; an ended attempt is forgotten."""

from __future__ import annotations

from typing import Any, cast

from playwright.async_api import Error as PlaywrightError

from farm.browsers.browser_node import BotBrowser
from farm.room.meeting_bots import MeetingBots
from farm.room.page_commands import PageCommands
from farm.room.page_messages import BotIdentity
from tests.support.polling import until


class Page:
    def __init__(self, *, broken: bool = False) -> None:
        self.told: list[dict[str, Any]] = []
        self.broken = broken

    async def evaluate(self, expression: str, arg: Any = None) -> Any:
        assert expression == "(command) => window.avatarfarm.knowBots(command)"
        if self.broken:
            raise PlaywrightError("Target page, context or browser has been closed")
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
