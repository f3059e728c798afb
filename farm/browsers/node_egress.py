"""Where a browser node's browsers may connect: an allow-list of hosts (and ports), and the SOCKS5 proxy the node
runs on loopback to hold its browsers to it.

Each Chromium of a node is launched with `--proxy-server=socks5://127.0.0.1:<port>` and
`--proxy-bypass-list=<-loopback>` (loopback goes through the proxy too, so a page cannot reach the node's own
ports or anything else on the machine). Over SOCKS5 Chromium opens every TCP connection of a page through the
proxy by name (no DNS of its own): http, https, ws and wss alike, navigations, fetches and WebSockets. The proxy
connects only to an allowed host and port and refuses anything else (SOCKS reply 2, "not allowed by ruleset"),
logging each refused host once. WebRTC's UDP media does not go through a proxy at all (README, Security).

An entry is `host` (any port), `host:port`, `*.domain` (any name under domain, not domain itself) or
`*.domain:port`; IPv6 literals in brackets (`[::1]:8800`); a URL stands for its host and port (`https://x/`
is `x:443`). Hosts compare case-insensitively, without a trailing dot.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

log = logging.getLogger("avatarfarm.node")

SOCKS_VERSION = 5
NO_AUTH = 0
NO_ACCEPTABLE_METHOD = 0xFF
CONNECT = 1
ATYP_IPV4, ATYP_DOMAIN, ATYP_IPV6 = 1, 3, 4
REPLY_OK, REPLY_FAILURE, REPLY_NOT_ALLOWED, REPLY_UNREACHABLE, REPLY_REFUSED = 0, 1, 2, 4, 5
REPLY_COMMAND_UNSUPPORTED, REPLY_ADDRESS_UNSUPPORTED = 7, 8
HANDSHAKE_SECONDS = 10.0
CONNECT_SECONDS = 15.0
DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


class EgressRuleError(ValueError):
    """An allow-list entry that is not a host, host:port, *.domain[:port] or URL."""


@dataclass(frozen=True)
class EgressRule:
    host: str  # lower case, no trailing dot; "*.domain" for any name under domain; IPv6 without brackets
    port: int | None = None  # None: any port

    def allows(self, host: str, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        host = normal_host(host)
        if self.host.startswith("*."):
            return host.endswith(self.host[1:])
        return host == self.host

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


def normal_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(host))
    return host


def parse_rule(text: str) -> EgressRule:
    entry = text.strip()
    if "://" in entry:
        parts = urlsplit(entry)
        if not parts.hostname or parts.scheme not in DEFAULT_PORTS:
            raise EgressRuleError(f"{entry!r} is not an http(s) or ws(s) URL with a host")
        try:
            url_port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise EgressRuleError(f"{entry!r} has a port that is not a number from 1 to 65535") from None
        return EgressRule(normal_host(parts.hostname), url_port)
    host, port_text = entry, ""
    if entry.startswith("["):
        host, closed, rest = entry[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise EgressRuleError(f"{entry!r} is not [IPv6]:PORT")
        port_text = rest[1:]
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
    port: int | None = None
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise EgressRuleError(f"{entry!r} has a port that is not a number from 1 to 65535")
        port = int(port_text)
    host = normal_host(host)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST.match(host) or host == "*":
            raise EgressRuleError(f"{entry!r} is not a host name, IP address or *.domain") from None
    return EgressRule(host, port)


def parse_rules(entries: Iterable[str]) -> tuple[EgressRule, ...]:
    return tuple(dict.fromkeys(parse_rule(entry) for entry in entries if entry.strip()))


def allowed(rules: Iterable[EgressRule], host: str, port: int) -> bool:
    return any(rule.allows(host, port) for rule in rules)


class EgressProxy:
    """A SOCKS5 proxy on loopback that connects only to allowed hosts and ports."""

    def __init__(self, rules: tuple[EgressRule, ...]) -> None:
        self.rules = rules
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._refused: set[str] = set()

    @property
    def url(self) -> str:
        return f"socks5://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        if self._server is not None:
            with contextlib.suppress(OSError):
                await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            target = await asyncio.wait_for(self._handshake(reader, writer), HANDSHAKE_SECONDS)
            if target is not None:
                await self._connect(target, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[str, int] | None:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        if version != SOCKS_VERSION or NO_AUTH not in methods:
            writer.write(bytes([SOCKS_VERSION, NO_ACCEPTABLE_METHOD]))
            return None
        writer.write(bytes([SOCKS_VERSION, NO_AUTH]))
        version, command, _, kind = await reader.readexactly(4)
        if kind == ATYP_IPV4:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif kind == ATYP_IPV6:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        elif kind == ATYP_DOMAIN:
            (length,) = await reader.readexactly(1)
            host = (await reader.readexactly(length)).decode("ascii", errors="replace")
        else:
            writer.write(_reply(REPLY_ADDRESS_UNSUPPORTED))
            return None
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if version != SOCKS_VERSION or command != CONNECT:
            writer.write(_reply(REPLY_COMMAND_UNSUPPORTED))
            return None
        if not allowed(self.rules, host, port):
            where = f"{host}:{port}"
            if where not in self._refused:
                self._refused.add(where)
                log.warning("a browser's connection to %s refused: not on the node's egress allow-list", where)
            writer.write(_reply(REPLY_NOT_ALLOWED))
            return None
        return host, port

    async def _connect(
        self, target: tuple[str, int], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(*target), CONNECT_SECONDS)
        except ConnectionRefusedError:
            writer.write(_reply(REPLY_REFUSED))
            return
        except (OSError, TimeoutError):
            writer.write(_reply(REPLY_UNREACHABLE))
            return
        writer.write(_reply(REPLY_OK))
        pumps = [asyncio.ensure_future(_pump(reader, up_writer)), asyncio.ensure_future(_pump(up_reader, writer))]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            up_writer.close()
            with contextlib.suppress(OSError):
                await up_writer.wait_closed()


def _reply(code: int) -> bytes:
    return bytes([SOCKS_VERSION, code, 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0])


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    with contextlib.suppress(OSError):
        if sink.can_write_eof():
            sink.write_eof()
