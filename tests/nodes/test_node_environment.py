"""A browser node's Chromium gets only what it needs from the node's environment: never the node token nor any
secret the container carries (Playwright's server launches browsers with its own environment)."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright

from tests.nodes.harness import NODE_TOKEN, browser_nodes
from tests.support.browsers import connect
from tests.support.process_tree import environment, process_kind, tree

pytestmark = pytest.mark.browser

AUTH = {"Authorization": f"Bearer {NODE_TOKEN}"}
SECRETS = {
    "AVATARFARM_BROWSER_NODE_TOKEN": NODE_TOKEN,
    "AVATARFARM_LIVEAVATAR_API_KEY": "la-key-must-not-leak-5d1c",
    "AVATARFARM_API_TOKEN": "api-token-must-not-leak-90fe",
    "CLOUD_SECRET_ACCESS_KEY": "cloud-secret-must-not-leak-1f0a",
}


async def test_no_process_of_a_nodes_chromium_carries_the_nodes_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    with browser_nodes(1, max_bots=1) as [node]:
        async with async_playwright() as playwright:
            browser = await connect(playwright, node.url, headers=AUTH, timeout=30_000)
            page = await browser.new_page()
            await page.goto("data:text/html,<p>bot</p>")
            [main] = node.browsers()
            environments = {pid: env for pid in tree(main) if (env := environment(pid)) is not None}
            assert {"browser", "zygote", "renderer"} <= {process_kind(pid) for pid in environments}
            for pid, env in environments.items():
                assert not [name for name in env if name.startswith("AVATARFARM_")], process_kind(pid)
                text = "\n".join(f"{k}={v}" for k, v in env.items())
                for secret in SECRETS.values():
                    assert secret not in text, (process_kind(pid), secret)
            assert "PATH" in environments[main]
            await browser.close()
