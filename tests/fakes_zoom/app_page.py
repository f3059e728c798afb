"""Drives the SDK stand-in from a page on another, cross-origin-isolated origin, as the bot page will."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from playwright.async_api import Browser, BrowserContext, Page

from tests.fakes_zoom.harness import FakeZoom
from tests.support.servers import RunningServer

EVENTS = (
    "connection-change",
    "user-added",
    "user-updated",
    "user-removed",
    "room-state-change",
    "active-speaker",
    "broadcast-message",
    "recording-change",
    "chat-on-message",
)

SETUP = """async (events) => {
  window.events = [];
  window.client = ZoomMtgEmbedded.createClient();
  for (const name of events) {
    client.on(name, (payload) => window.events.push({ name, payload: JSON.parse(JSON.stringify(payload ?? null)) }));
  }
  client.on('no-such-event', () => window.events.push({ name: 'no-such-event' }));
  return client.init({ zoomAppRoot: document.getElementById('zoom-root'), language: 'en-US' });
}"""

CALL = """async ([method, args]) => {
  try {
    const value = await client[method](...args);
    return { ok: true, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) };
  } catch (e) {
    return { ok: false, error: { type: e.type ?? null, reason: e.reason ?? null, errorCode: e.errorCode ?? null,
                                 message: e instanceof Error ? e.message : null, isError: e instanceof Error } };
  }
}"""

T = TypeVar("T")


@dataclass
class AppPage:
    context: BrowserContext
    page: Page
    zoom: FakeZoom

    @classmethod
    async def open(cls, browser: Browser, origin: RunningServer, zoom: FakeZoom, init_script: str = "") -> AppPage:
        context = await browser.new_context()
        if init_script:
            await context.add_init_script(init_script)
        page = await context.new_page()
        await page.goto(f"{origin.base_url}/app?sdk={zoom.base_url}/sdk/zoomus-websdk-embedded.js")
        await page.evaluate("window.sdkLoaded")
        await page.evaluate(SETUP, list(EVENTS))
        return cls(context, page, zoom)

    async def call(self, method: str, *args: Any) -> dict[str, Any]:
        """Call a client method; {ok, value} or {ok: false, error: {type, reason, errorCode, message, isError}}."""
        result: dict[str, Any] = await self.page.evaluate(CALL, [method, list(args)])
        return result

    async def value(self, method: str, *args: Any) -> Any:
        result = await self.call(method, *args)
        assert result["ok"], result
        return result["value"]

    async def join(self, number: str, name: str, **options: Any) -> dict[str, Any]:
        from tests.fakes_zoom.harness import meeting_jwt

        options.setdefault("signature", meeting_jwt(number))
        return await self.call("join", {"meetingNumber": number, "userName": name, **options})

    async def events(self, name: str | None = None) -> list[Any]:
        events: list[dict[str, Any]] = await self.page.evaluate("window.events")
        return [e["payload"] for e in events if name is None or e["name"] == name] if name else events

    async def connection_states(self) -> list[dict[str, Any]]:
        return await self.events("connection-change")

    async def wait_for(self, check: Callable[[], Awaitable[T | None]], within: float = 20) -> T:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            result = await check()
            if result:
                return result
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"condition not met within {within}s; events: {await self.events()}")
            await asyncio.sleep(0.1)

    async def wait_connection(self, state: str, reason: str | None = None, count: int = 1) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            matches = [
                e for e in await self.connection_states() if e["state"] == state and reason in (None, e.get("reason"))
            ]
            return matches[count - 1] if len(matches) >= count else None

        return await self.wait_for(check)

    async def close(self) -> None:
        await self.context.close()
