"""A whole bot page on the fakes: fake Zoom, fake LiveAvatar and the API server (which serves the page), and
the farm's own pieces to mint credentials and launch the bot's Chromium. Students are Chromium pages on the
fake Zoom's participant page, with fake camera and microphone files."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

from api.app import create_app
from fakes.liveavatar import FakeLiveAvatarConfig
from fakes.liveavatar import create_app as create_liveavatar
from farm.browsers.browser_node import BotBrowser, LocalBrowserNode
from farm.room.bot_page_config import BotCredentials, bot_page_config
from farm.settings import Settings, load_settings
from farm.tls_context import shared_tls_context
from farm.vendors.liveavatar_client import LiveAvatarClient
from farm.vendors.zoom_signature import meeting_signature
from tests.api.conftest import RecordingFarm
from tests.fakes_zoom.harness import ADMIN_TOKEN, SDK_KEY, SDK_SECRET, FakeZoom, running_fake_zoom
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.servers import serve_app
from tests.support.students import Students

LA_API_KEY = "bot-page-tests-liveavatar-key"
LA_ADMIN = "bot-page-tests-admin"
AVATAR_ADA = "3b8f0c1e-5a52-4f43-a0a4-6e6f1c2d9b10"
COURSE_PROMPT = (
    "You are Professor Ada, teaching recursion. Key ideas: a base case stops the recursion; every recursive "
    "call must move toward the base case; the call stack holds each pending call. Ask the student questions "
    "rather than giving answers."
)


@dataclass
class Bot:
    browser: BotBrowser
    reports: list[dict[str, Any]]
    notices: list[tuple[str, dict[str, Any]]]
    requests: list[str]
    # LiveAvatar sessions minted for this bot, in order (the farm's part, played by the harness).
    vendor_sessions: list[str] = field(default_factory=list)

    @property
    def vendor_session_id(self) -> str:
        assert self.vendor_sessions, "no avatar was ever asked for"
        return self.vendor_sessions[-1]

    def states(self) -> list[str]:
        return [r["state"] for r in self.reports if r["type"] == "state"]

    def last_state(self) -> dict[str, Any]:
        return next(r for r in reversed(self.reports) if r["type"] == "state")

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [r["detail"] for r in self.reports if r["type"] == "event" and r["kind"] == kind]

    def heartbeats(self) -> list[dict[str, Any]]:
        return [r for r in self.reports if r["type"] == "heartbeat"]

    async def wait_state(self, state: str, within: float = 60.0) -> dict[str, Any]:
        await wait_until(lambda: state in self.states(), within, lambda: f"bot state {state!r}; saw {self.states()}")
        return next(r for r in self.reports if r["type"] == "state" and r["state"] == state)

    async def wait_event(self, kind: str, predicate: Callable[[dict[str, Any]], bool], within: float = 60.0) -> None:
        await wait_until(
            lambda: any(predicate(d) for d in self.events(kind)),
            within,
            lambda: f"event {kind}; saw {self.events(kind)}",
        )

    async def call(self, expression: str, arg: Any = None) -> Any:
        return await self.browser.evaluate(expression, arg)

    async def bridge_stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = await self.call("() => window.__avatarfarmBridge.stats()")
        return stats


async def wait_until(predicate: Callable[[], bool], within: float, what: str | Callable[[], str]) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {within}s waiting for {described}")
        await asyncio.sleep(0.1)


@dataclass
class Stack:
    zoom: FakeZoom
    liveavatar_url: str
    liveavatar_admin: httpx.AsyncClient
    api: FastAPI
    api_url: str
    settings: Settings
    node: LocalBrowserNode
    liveavatar: LiveAvatarClient
    playwright: Playwright
    workdir: Path
    bots: list[Bot] = field(default_factory=list)
    students: list[Browser] = field(default_factory=list)

    async def meeting(self, *, host: bool = True, **settings: Any) -> str:
        settings.setdefault("passcode", "pw123")
        settings.setdefault("breakout_rooms", ["Room 1", "Room 2"])
        created = await self.zoom.create_meeting(**settings)
        number = str(created["number"])
        if host:
            await self.zoom.add_virtual(number, name="Host", host=True)
        return number

    async def serve_avatar(self, bot: Bot) -> None:
        """What the farm does when a page asks for an avatar: mint a session and hand the page its token."""
        vendor_session, token = await self.new_avatar_token()
        bot.vendor_sessions.append(vendor_session)
        await bot.call("(command) => window.avatarfarm.startAvatar(command)", {"session_token": token})

    async def new_avatar_token(self) -> tuple[str, str]:
        context_id = await self.liveavatar.create_context(
            name="CS 101 · Room 1", prompt=COURSE_PROMPT, opening_text="Hello! What are you working on?"
        )
        token = await self.liveavatar.session_token(avatar_id=AVATAR_ADA, context_id=context_id, quality="low")
        return token.session_id, token.token

    async def launch_bot(
        self,
        number: str,
        *,
        room: str = "Room 1",
        passcode: str = "pw123",
        signature: str | None = None,
        obf_token: str | None = None,
        serve_avatars: bool = True,
        **config_options: Any,
    ) -> Bot:
        config = bot_page_config(
            self.settings,
            bot_id=f"bot_{len(self.bots) + 1}",
            room_id="room_test",
            room_name=room,
            professor_name="Prof. Ada",
            meeting_number=number,
            passcode=passcode,
            credentials=BotCredentials(
                meeting_signature=signature
                or meeting_signature(sdk_key=SDK_KEY, sdk_secret=SDK_SECRET, meeting_number=number),
                obf_token=obf_token,
            ),
            **config_options,
        )
        tickets = self.api.state.bot_tickets
        reports: list[dict[str, Any]] = []
        notices: list[tuple[str, dict[str, Any]]] = []
        requests: list[str] = []
        serving: set[asyncio.Task[None]] = set()
        holder: list[Bot] = []

        def on_report(message: dict[str, Any]) -> None:
            reports.append(message)
            wanted = message.get("type") == "event" and message.get("kind") == "avatar.wanted"
            if wanted and serve_avatars and holder:
                task = asyncio.ensure_future(self.serve_avatar(holder[0]))
                serving.add(task)
                task.add_done_callback(serving.discard)

        def watch(context: BrowserContext) -> None:
            context.on("request", lambda request: requests.append(request.url))

        browser = await self.node.open_bot(
            f"bot-{room}",
            lambda: f"{self.api_url}/bot/{tickets.issue(config)}",  # once the browser is ready, as the farm does
            on_report=on_report,
            on_notice=lambda kind, detail: notices.append((kind, detail)),
            before_load=watch,
        )
        bot = Bot(browser, reports, notices, requests)
        holder.append(bot)
        if serve_avatars and any(r.get("kind") == "avatar.wanted" for r in reports):
            await self.serve_avatar(bot)
        self.bots.append(bot)
        return bot

    async def student(self, number: str, name: str, *, room: str | None = None, says: str | None = None) -> Page:
        """A student in the meeting with a moving camera and, when `says` is given, a voice saying it on loop."""
        page = await Students(self.playwright, self.zoom.base_url, self.workdir, self.students).join(
            number, name, room=room, says=says
        )
        return page

    async def receiving(self, number: str, student: str, sender_prefix: str) -> dict[str, Any] | None:
        """What `student` receives from the participant whose name starts with `sender_prefix`."""
        person = await self.zoom.person(number, student)
        for stream in person.get("media", {}).get("receiving", []):
            if str(stream.get("name", "")).startswith(sender_prefix):
                return dict(stream)
        return None


@contextlib.asynccontextmanager
async def running_stack(tmp_path: Path, **settings: Any) -> AsyncIterator[Stack]:
    """The fakes and the API server, with the product's settings pointing at them (sim by default)."""
    la_app = create_liveavatar(FakeLiveAvatarConfig(api_key=LA_API_KEY, admin_token=LA_ADMIN))
    async with running_fake_zoom() as zoom, serve_app(la_app) as liveavatar_server:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "var",
            "api_token": "bot-page-tests-token-5f0c1d2e3a4b6978",
            "zoom_api_base": zoom.base_url,
            "zoom_sdk_key": SDK_KEY,
            "zoom_sdk_secret": SDK_SECRET,
            "liveavatar_api_base": liveavatar_server.base_url,
            "liveavatar_api_key": LA_API_KEY,
        }
        values.update(settings)
        app_settings = load_settings(**values)
        api = create_app(app_settings, farm_factory=lambda repo, *_: RecordingFarm(repo))
        async with serve_app(api) as api_server:
            app_settings = app_settings.model_copy(update={"public_base_url": api_server.base_url})
            node = LocalBrowserNode("test")
            liveavatar = LiveAvatarClient(liveavatar_server.base_url, LA_API_KEY, attempts=2, max_wait=0.5)
            async with (
                async_playwright() as playwright,
                httpx.AsyncClient(
                    timeout=CLIENT_TIMEOUT,
                    verify=shared_tls_context(),
                    base_url=liveavatar_server.base_url,
                    headers={"Authorization": f"Bearer {LA_ADMIN}"},
                ) as la_admin,
            ):
                stack = Stack(
                    zoom=zoom,
                    liveavatar_url=liveavatar_server.base_url,
                    liveavatar_admin=la_admin,
                    api=api,
                    api_url=api_server.base_url,
                    settings=app_settings,
                    node=node,
                    liveavatar=liveavatar,
                    playwright=playwright,
                    workdir=tmp_path,
                )
                try:
                    yield stack
                finally:
                    for bot in stack.bots:
                        await bot.browser.close()
                    for browser in stack.students:
                        with contextlib.suppress(Exception):
                            await browser.close()
                    await node.stop()
                    await liveavatar.aclose()


__all__ = ["ADMIN_TOKEN", "Bot", "Stack", "running_stack", "wait_until"]
