"""Chromium for the browser tests: launched with avatarfarm's flags, pages opened on the harness origin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from playwright.async_api import Browser, Page, async_playwright

from tests.support.browsers import launch, launch_options
from tests.support.servers import RunningServer


@asynccontextmanager
async def chromium(**options: Any) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await launch(playwright, **launch_options(**options))
        try:
            yield browser
        finally:
            await browser.close()


async def open_harness(browser: Browser, harness: RunningServer, sdk_url: str, init_script: str = "") -> Page:
    page = await browser.new_page()
    if init_script:
        await page.add_init_script(init_script)
    await page.goto(f"{harness.base_url}/harness.html?sdk={quote(sdk_url, safe='')}")
    await page.wait_for_function("window.harnessReady === true", timeout=30_000)
    error = await page.evaluate("window.harnessError")
    assert error is None, error
    return page


async def events(page: Page, name: str | None = None) -> list[dict[str, Any]]:
    recorded: list[dict[str, Any]] = await page.evaluate("window.avatarEvents")
    return [event for event in recorded if name is None or event["name"] == name]


async def wait_event(page: Page, name: str, count: int = 1, within_ms: int = 30_000) -> list[dict[str, Any]]:
    await page.wait_for_function(
        "([name, count]) => window.avatarEvents.filter((e) => e.name === name).length >= count",
        arg=[name, count],
        timeout=within_ms,
    )
    return await events(page, name)
