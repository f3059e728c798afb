"""A browser node's Playwright server is reachable by the node's token front only: it listens on no TCP port
(where any local process could ask it for its endpoint and launch a browser of its choosing), only on a Unix
socket in a directory no other user may enter; the node still serves browsers through its front."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.nodes.harness import NODE_TOKEN, browser_nodes
from tests.support.browsers import connect
from tests.support.process_tree import argv, tree

pytestmark = pytest.mark.browser

LISTEN = "0A"


def _listening_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == LISTEN:
                inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[len("socket:[") : -1])
    return found


def _socket_directory(pid: int) -> Path:
    """Where the node put its Playwright server's socket (its last argument)."""
    return Path(argv(pid)[-1]).parent


async def test_the_nodes_playwright_server_listens_on_no_tcp_port() -> None:
    with browser_nodes(1) as [node]:
        assert node.process is not None
        # Playwright's server: the node's child running the driver's Node.js (browsers are its children).
        servers = [pid for pid in tree(node.process.pid) if argv(pid) and argv(pid)[0].endswith("/driver/node")]
        assert len(servers) == 1, [argv(pid) for pid in tree(node.process.pid)]
        [server] = servers
        assert not _socket_inodes(server) & _listening_inodes()  # no TCP port at all
        directory = _socket_directory(server)
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        # The front still serves browsers.
        async with async_playwright() as playwright:
            browser = await connect(
                playwright, node.url, headers={"Authorization": f"Bearer {NODE_TOKEN}"}, timeout=30_000
            )
            page = await browser.new_page()
            assert await page.evaluate("6 * 7") == 42
            await browser.close()
