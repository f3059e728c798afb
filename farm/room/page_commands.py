"""Commands to a bot page: the one place the farm calls into the page (`window.avatarfarm.*`, see
bot_page/js/bot.js), each a typed method. Nothing else in the farm writes JavaScript for a page. A command fails
with one of PAGE_ERRORS (farm/browsers/browser_node.py) when the page refuses or is gone; callers decide what
that costs."""

from __future__ import annotations

from dataclasses import dataclass

from farm.browsers.browser_node import BotBrowser
from farm.room.page_messages import DeclineAvatar, KnowBots, Pulse, SendChat, StartAvatar, StopAvatar

_START_AVATAR = "(command) => window.avatarfarm.startAvatar(command)"
_DECLINE_AVATAR = "(command) => window.avatarfarm.declineAvatar(command)"
_STOP_AVATAR = "(command) => window.avatarfarm.stopAvatar(command)"
_SAY = "(text) => window.avatarfarm.say(text)"
_INTERRUPT = "() => window.avatarfarm.interrupt()"
_LEAVE = "() => window.avatarfarm.leave()"
_SEND_CHAT = "(command) => window.avatarfarm.sendChat(command)"
_KNOW_BOTS = "(command) => window.avatarfarm.knowBots(command)"
_PULSE = "() => window.avatarfarm.pulse()"


@dataclass(frozen=True)
class PageCommands:
    """The commands one bot's page takes."""

    browser: BotBrowser

    async def start_avatar(self, session_token: str) -> None:
        """Start (or replace) the avatar with a minted LiveAvatar session token."""
        await self.browser.evaluate(_START_AVATAR, StartAvatar(session_token=session_token).model_dump())

    async def decline_avatar(self, words: str, retry_after_seconds: float) -> None:
        """Not now, in words: the page asks again after `retry_after_seconds`."""
        command = DeclineAvatar(words=words, retry_after_ms=int(retry_after_seconds * 1000))
        await self.browser.evaluate(_DECLINE_AVATAR, command.model_dump())

    async def stop_avatar(self, reason: str) -> None:
        """Stop the avatar; the bot stays where it is."""
        await self.browser.evaluate(_STOP_AVATAR, StopAvatar(reason=reason).model_dump())

    async def say(self, text: str) -> None:
        """The avatar says `text` verbatim."""
        await self.browser.evaluate(_SAY, text)

    async def interrupt(self) -> None:
        """The avatar stops talking."""
        await self.browser.evaluate(_INTERRUPT)

    async def leave(self) -> None:
        """Leave the meeting: the page stops its avatar and ends."""
        await self.browser.evaluate(_LEAVE)

    async def send_chat(self, text: str, to_user_id: int | None = None) -> None:
        """Write `text` in the Zoom chat, to one participant of the bot's room (None: everyone there)."""
        await self.browser.evaluate(_SEND_CHAT, SendChat(text=text, to_user_id=to_user_id).model_dump())

    async def know_bots(self, bots: KnowBots, *, within: float) -> None:
        """Tell the page which participants of its meeting are the farm's bots; TimeoutError if it has not taken
        them `within` seconds."""
        await self.browser.evaluate(_KNOW_BOTS, bots.model_dump(), within=within)

    async def pulse(self, within: float) -> Pulse:
        """The page's clock and its last heartbeat's time: asked when a heartbeat is late. Fails with one of
        PAGE_ERRORS, TimeoutError (no answer `within` seconds) or pydantic's ValidationError (an answer that
        is not a pulse)."""
        return Pulse.model_validate(await self.browser.evaluate(_PULSE, within=within))
