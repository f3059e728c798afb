"""farm/browsers/blocked_ports.py against the Chromium the bots run, with the bots' flags: every listed port is
refused (ERR_UNSAFE_PORT), but for the two the standard added in 2024, which this Chromium may not refuse yet; the port
after each, where not listed, is not. A Chromium that blocks another port, or no longer blocks one, fails here."""

from __future__ import annotations

from playwright.async_api import Error, Page, async_playwright

from farm.browsers.blocked_ports import ADDED_IN_2024, BLOCKED_PORTS
from tests.support.browsers import launch, launch_options


async def _refused(page: Page, port: int) -> bool:
    try:
        await page.goto(f"http://127.0.0.1:{port}/", timeout=10_000)
    except Error as exc:
        return "ERR_UNSAFE_PORT" in str(exc)
    return False


async def test_the_listed_ports_are_the_ones_chromium_refuses() -> None:
    neighbours = {port + 1 for port in BLOCKED_PORTS} - BLOCKED_PORTS
    async with async_playwright() as playwright:
        browser = await launch(playwright, **launch_options())
        try:
            page = await browser.new_page()
            refused = {port for port in sorted(BLOCKED_PORTS | neighbours) if await _refused(page, port)}
        finally:
            await browser.close()
    assert refused <= BLOCKED_PORTS, sorted(refused - BLOCKED_PORTS)
    assert BLOCKED_PORTS - refused <= ADDED_IN_2024, sorted(BLOCKED_PORTS - refused)
