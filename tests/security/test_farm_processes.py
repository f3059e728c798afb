"""What the farm's own helper processes carry and say: Playwright's driver gets the browsers' allow-listed
environment (no AVATARFARM_* secret), and running as root is said once in the log."""

from __future__ import annotations

import logging
import os

import pytest

from farm.browsers import chromium
from farm.browsers.browser_node import LocalBrowserNode
from tests.support.process_tree import argv, environment, tree

pytestmark = pytest.mark.browser

SECRETS = {
    "AVATARFARM_API_TOKEN": "api-token-must-not-reach-the-driver-4b1d",
    "AVATARFARM_LIVEAVATAR_API_KEY": "la-key-must-not-reach-the-driver-7c2e",
}


async def test_the_playwright_driver_gets_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    # Drivers already running in this test process (pytest-playwright's own, started by another test's
    # fixture) are not the farm's: only the one the node starts is looked at.
    before = {pid for pid in tree(os.getpid()) if "run-driver" in argv(pid)}
    node = LocalBrowserNode(capacity=1)
    await node.start()
    try:
        drivers = [pid for pid in tree(os.getpid()) if "run-driver" in argv(pid) and pid not in before]
        assert drivers, "no Playwright driver among this process's children"
        for pid in drivers:
            env = environment(pid)
            assert env is not None
            assert not [name for name in env if name.startswith("AVATARFARM_")]
            assert env.get("PATH") == os.environ["PATH"]
    finally:
        await node.stop()


def test_running_as_root_is_said_once(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="avatarfarm.farm")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(chromium, "_told_unsandboxed", False)
    for _ in range(3):
        assert chromium.sandboxed() is False
    said = [r.getMessage() for r in caplog.records if "renderer sandbox" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("running as root")
    caplog.clear()
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert chromium.sandboxed() is True
    assert not caplog.records
