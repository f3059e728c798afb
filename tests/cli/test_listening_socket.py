"""The server's listening socket stays with the server: a child process (Playwright's driver, which uvicorn's
uvloop spawns without closing inheritable descriptors) must not keep the port once the server is gone, or a
restart right after a SIGKILL finds its own port taken. And its connections send at once (no Nagle delay)."""

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


async def test_connections_to_the_server_send_without_waiting_for_acks() -> None:
    """uvicorn serves on the asyncio loop (api/cli.py), which turns Nagle's algorithm off only on connections of an
    IPPROTO_TCP socket; on any other, a response written in two parts waited 40 ms for the client's delayed ACK."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection: socket.socket = writer.get_extra_info("socket")
        writer.write(b"%d" % connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, sock=bind("127.0.0.1", 0))
    async with server:
        reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
        assert await reader.read() == b"1"
        writer.close()
