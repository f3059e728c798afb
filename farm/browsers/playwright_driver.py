"""Playwright's driver for the farm's own browsers: the Node.js process the farm talks to, which launches every
local Chromium. It gets the browsers' allow-listed environment (farm/browsers/node_server.py's driver_env: what Chromium
needs plus Playwright's own PW_*/PLAYWRIGHT_* variables), never the farm's AVATARFARM_* secrets: Playwright
would hand the driver a copy of the whole environment. tests/farm/test_bot_browser_isolation.py reads the
driver's environment from /proc and fails if a Playwright upgrade moves what is replaced here."""

from __future__ import annotations

from playwright._impl import transport
from playwright.async_api import Playwright, async_playwright

from farm.browsers.node_server import driver_env


async def start_playwright() -> Playwright:
    """async_playwright().start(), its driver spawned with the allow-listed environment."""
    whole = transport.get_driver_env
    transport.get_driver_env = driver_env  # read once, when start() spawns the driver
    try:
        return await async_playwright().start()
    finally:
        transport.get_driver_env = whole
