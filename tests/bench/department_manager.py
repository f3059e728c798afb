"""The manager the department benchmark measures: `avatarfarm serve`'s app, server and settings, in a process of
its own, with one difference: its browser node is a SimulatedNode (tests/bench/simulated_node.py), whose bots are
simulated pages in the benchmark's pages host instead of Chromium.

`python -m tests.bench.department_manager '{"pages_url": …, "settings": {…}}'` prints {"url": …} once its socket
is bound, then serves (uvicorn, as `avatarfarm serve` runs it) until SIGTERM.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import uvicorn

from api.app import create_app
from api.listening import KEEP_ALIVE_SECONDS
from farm.manager import Farm
from farm.room.bot_tickets import BotTickets
from farm.settings import Settings, load_settings
from farm.vendors.zoom_client import ZoomClient
from state.repository import Repository
from tests.bench.simulated_node import SimulatedNode
from tests.support.ports import bound_socket


def main(argv: list[str]) -> int:
    options: dict[str, Any] = json.loads(argv[0])
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    sock = bound_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = load_settings(public_base_url=url, port=sock.getsockname()[1], **options["settings"])
    node = SimulatedNode(options["pages_url"], capacity=settings.max_bots)

    def make_farm(repository: Repository, s: Settings, tickets: BotTickets, zoom: ZoomClient | None) -> Farm:
        return Farm(repository, s, tickets, node=node, zoom=zoom)  # type: ignore[arg-type]  # a BrowserNode by its interface

    app = create_app(settings, farm_factory=make_farm)
    print(json.dumps({"url": url}), flush=True)
    config = uvicorn.Config(
        app,
        loop="asyncio",
        log_level="warning",
        timeout_graceful_shutdown=10,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        access_log=False,
        proxy_headers=False,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
