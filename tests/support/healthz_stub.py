"""A loopback server that answers every request with 200 {"status": "ok"}: a stand-in for the fakes' /healthz
where a test needs the simulated services to answer but not to do anything."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\nConnection: close\r\n\r\n"
    b'{"status": "ok"}'
)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER)
        await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def answering_healthz(sock: socket.socket | None = None) -> AsyncIterator[str]:
    """Serve on `sock` (a bound socket, e.g. reserved earlier) or on a fresh loopback port; yields the base URL."""
    if sock is None:
        server = await asyncio.start_server(_answer, "127.0.0.1", 0)
    else:
        server = await asyncio.start_server(_answer, sock=sock)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()
