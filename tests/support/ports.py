"""Loopback ports chosen by the test, never fixed numbers."""

from __future__ import annotations

import socket

from api.listening import bind

# A base URL for farms whose bot pages are never loaded (scripted pages): a loopback port below 1024, so no test
# server takes it, and not one browsers refuse, which the settings would reject (farm/browsers/blocked_ports.py).
NOWHERE = "http://127.0.0.1:47"


def bound_socket() -> socket.socket:
    """A listening TCP socket on 127.0.0.1 with a kernel-chosen port (no race: it stays bound), made as the
    server's own is (api/listening.py), so that test servers answer as fast as the product's."""
    return bind("127.0.0.1", 0)


def free_port() -> int:
    """A port that was free a moment ago, for servers started as subprocesses."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
