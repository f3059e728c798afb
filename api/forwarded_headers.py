"""Behind a TLS-terminating reverse proxy: X-Forwarded-For, -Proto and -Host are believed only when the
connection comes from a proxy named in AVATARFARM_TRUSTED_PROXIES (addresses or networks). From one, the
request takes the client's address (for the per-client limits and the sign-in throttle), the scheme (https:
cookies are then Secure) and the host the browser asked for (the dashboard's origin check); from anyone else
these headers change nothing. The server's own uvicorn trusts none (`proxy_headers=False` in api/cli.py)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_HOST = re.compile(r"[A-Za-z0-9.\-]+(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?")


def _is_in(host: str, networks: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return any(address in network for network in networks)


def _last(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    values = [value.decode("latin-1") for key, value in headers if key == name]
    if not values:
        return None
    return ",".join(values).split(",")[-1].strip() or None


class ForwardedHeaders:
    def __init__(self, app: ASGIApp, proxies: Sequence[Network]) -> None:
        self.app = app
        self.proxies = tuple(proxies)

    def _client(self, forwarded_for: str) -> str | None:
        """The nearest address in X-Forwarded-For that is not one of our proxies."""
        for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
            if not _is_in(hop, self.proxies):
                return hop
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] not in ("http", "websocket") or not client or not _is_in(str(client[0]), self.proxies):
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        headers: list[tuple[bytes, bytes]] = list(scope["headers"])
        proto = _last(headers, b"x-forwarded-proto")
        if proto in ("http", "https"):
            scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws")
        forwarded_for = ",".join(value.decode("latin-1") for key, value in headers if key == b"x-forwarded-for")
        address = self._client(forwarded_for) if forwarded_for else None
        if address:
            scope["client"] = (address, 0)
        host = _last(headers, b"x-forwarded-host")
        if host and _HOST.fullmatch(host):
            scope["headers"] = [(k, v) for k, v in headers if k != b"host"] + [(b"host", host.encode("latin-1"))]
        await self.app(scope, receive, send)
