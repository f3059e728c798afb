"""The benchmark's bot browsers, when it runs as root: launched through the wrapper, they run as the
unprivileged user with Chromium's sandbox (every renderer under a seccomp filter), and Playwright drives them as
usual."""

from __future__ import annotations

import os

import pytest
from playwright.async_api import async_playwright

from tests.bench.process_stats import bot_trees
from tests.bench.unprivileged import BENCH_UID, UnprivilegedNode, sandbox_in_force
from tests.support.browsers import launch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(os.geteuid() != 0, reason="only a root benchmark drops its browsers to another user"),
]


async def test_bot_browsers_run_as_the_unprivileged_user_with_their_sandbox() -> None:
    options = UnprivilegedNode("test").launch_options()
    assert options["chromium_sandbox"] is True and "--no-sandbox" not in options["args"]
    async with async_playwright() as playwright:
        browser = await launch(playwright, **options)
        try:
            page = await browser.new_page()
            await page.set_content("<p>a bot page</p>")
            assert await page.evaluate("() => document.querySelector('p').textContent") == "a bot page"
            [tree] = bot_trees()
            assert sandbox_in_force(tree, BENCH_UID)
            assert not sandbox_in_force(tree, 0)  # the check can fail: not as root
        finally:
            await browser.close()
