"""The server's listening socket stays with the server: a child process (Playwright's driver, which uvicorn's
uvloop spawns without closing inheritable descriptors) must not keep the port once the server is gone, or a
restart right after a SIGKILL finds its own port taken."""

from __future__ import annotations

import asyncio
import socket

import uvloop

from api.listening import bind


async def _child_outliving_the_server(sock: socket.socket) -> asyncio.subprocess.Process:
    child = await asyncio.create_subprocess_exec("sleep", "30")
    sock.close()  # the server is gone; its child is not
    return child


def test_a_restart_can_listen_while_a_child_of_the_killed_server_lives() -> None:
    sock = bind("127.0.0.1", 0)
    port = int(sock.getsockname()[1])

    async def scenario() -> None:
        child = await _child_outliving_the_server(sock)
        try:
            bind("127.0.0.1", port).close()
        finally:
            child.kill()
            await child.wait()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())
