"""The department benchmark's LiveAvatar: fakes/liveavatar in a process of its own, without its media rooms.

Its REST API, sessions, billing, idle timeouts and limits are the fake's; only the LiveKit room a started
session opens (the avatar and the agent joining through LiveKit's SDK, the media a page would receive) is left
out, because the simulated pages never join it and 400 of them would measure the vendor's media plane on these
cores instead of the farm's control plane. Its concurrency cap and per-second rate limit are raised to hold a
department (the fake's own numbers; LiveAvatar publishes neither).

`python -m tests.bench.department_vendors` prints {"liveavatar": URL} on one line once it listens, then serves
until SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

from fakes.liveavatar import FakeLiveAvatarConfig
from fakes.liveavatar import create_app as create_liveavatar
from fakes.liveavatar.avatar_room import AvatarRoom, RoomFaults
from fakes.liveavatar.conversation import SessionAgent
from fakes.liveavatar.livekit_server import LiveKitEndpoint
from fakes.liveavatar.rooms import RoomDirectory
from fakes.liveavatar.sessions import AvatarSession
from tests.support.ports import bound_socket
from tests.support.servers import serve_app

API_KEY = "bench-department-liveavatar-key"
ADMIN_TOKEN = "bench-department-admin"
# Where a started session says its media is: nothing listens there (the pages never go).
NO_MEDIA = LiveKitEndpoint("ws://127.0.0.1:9", "bench", "bench-department-no-media-secret-0123456789")


class RoomsWithoutMedia(RoomDirectory):
    """The fake's room directory with no LiveKit behind it: a started session gets its client token, no room."""

    async def endpoint(self) -> LiveKitEndpoint:
        return NO_MEDIA

    def open(self, session: AvatarSession, agent: SessionAgent, endpoint: LiveKitEndpoint) -> AvatarRoom:
        return AvatarRoom(session, agent, self.registry, endpoint, fps=self.fps, faults=RoomFaults())

    async def shutdown(self) -> None:
        return None


def liveavatar_app() -> Any:
    config = FakeLiveAvatarConfig(
        api_key=API_KEY,
        admin_token=ADMIN_TOKEN,
        max_concurrent_sessions=2000,
        rate_limit_per_second=0,
        initial_credits=1e9,
    )
    app = create_liveavatar(config)
    service = app.state.service
    rooms = RoomsWithoutMedia(service.rooms.livekit, service.registry, config.avatar_fps)
    service.rooms = rooms
    service.agents.rooms = rooms
    return app


async def main() -> None:
    sock = bound_socket()
    async with serve_app(liveavatar_app(), sock=sock) as server:
        print(json.dumps({"liveavatar": server.base_url}), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
