"""The server's listening socket, bound before anything starts: a port that is already taken stops start-up
with one line naming it, instead of a server that comes up talking to whatever else holds the port."""

from __future__ import annotations

import socket

# Idle client connections are kept this long (uvicorn's default, 5 s, makes pollers that reuse a pooled connection
# race its close and see "Server disconnected without sending a response").
KEEP_ALIVE_SECONDS = 75


class PortTaken(OSError):
    """The address cannot be listened on; the message says which and what to do."""


def bind(host: str, port: int, *, setting: str = "AVATARFARM_PORT") -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: accepted connections inherit it, and only then does asyncio turn Nagle's algorithm off
    # on them (TCP_NODELAY). Without it a response written in two parts (headers, then body) waited for the
    # client's delayed ACK: 40 ms more for every request, every bot page asset and SDK module included.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise PortTaken(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): another program uses it; "
            f"stop it or choose another port ({setting})"
        ) from None
    # Not inheritable (Python's default): uvloop spawns children (Playwright's driver) without closing inheritable
    # descriptors, and a child holding the socket keeps the port after the server is killed.
    return sock


def ensure_free(host: str, port: int, *, setting: str) -> None:
    """Check that a port a child process will listen on is free now."""
    bind(host, port, setting=setting).close()
