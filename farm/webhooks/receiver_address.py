"""Where a professor's webhook receiver may be: at a public address. A professor is not the server's
administrator, and a receiver of theirs on loopback or the server's private network would have the server POST
to its neighbours (a database's HTTP port, a cloud's metadata service) on their behalf. The address is checked
when the receiver is registered and again at every delivery, and the delivery goes to the very address that
was checked (with the receiver's name kept for TLS and Host), so a name that resolves elsewhere later
(DNS rebinding) gains nothing. The administrator's receivers, the server-wide WEBHOOK_URLS and deployments
that set WEBHOOK_ALLOW_PRIVATE are not held to this."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from farm.settings import ENV_PREFIX

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

RESOLVE_SECONDS = 5.0
ALLOW_PRIVATE = f"{ENV_PREFIX}WEBHOOK_ALLOW_PRIVATE"


class ReceiverAddressError(Exception):
    """Why a receiver cannot be sent to, in words for its professor."""


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses `host` resolves to (an address literal: itself)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS)
    except TimeoutError:
        raise ReceiverAddressError(f"{host} could not be looked up within {RESOLVE_SECONDS:g} s") from None
    except OSError:
        raise ReceiverAddressError(f"{host} could not be found") from None
    found: dict[IPAddress, None] = {}
    for *_, sockaddr in infos:
        found[ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])] = None
    return list(found)


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def not_public(host: str, addresses: list[IPAddress]) -> ReceiverAddressError | None:
    """The refusal for a receiver at any non-public address (one is enough: a client may use any of them)."""
    for address in addresses:
        if not is_public(address):
            shown = host if host == str(address) else f"{host} ({address})"
            return ReceiverAddressError(
                f"{shown} is not a public address: the server sends a professor's webhooks to public addresses "
                f"only (the administrator can allow private ones with {ALLOW_PRIVATE}=true)"
            )
    return None


def host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


async def checked_address(url: str, resolver: Resolver = resolve, *, public_only: bool = True) -> IPAddress:
    """The address to send to `url`'s receiver at (a public one, unless not `public_only`); raises
    ReceiverAddressError."""
    host, port = host_and_port(url)
    addresses = await resolver(host, port)
    refused = not_public(host, addresses) if public_only else None
    if refused is not None:
        raise refused
    if not addresses:
        raise ReceiverAddressError(f"{host} could not be found")
    return addresses[0]


async def registration_refusal(url: str, resolver: Resolver = resolve) -> str | None:
    """Why a professor may not register `url`, or None. A name that cannot be looked up now is accepted: every
    delivery checks it again."""
    host, port = host_and_port(url)
    try:
        addresses = await resolver(host, port)
    except ReceiverAddressError:
        return None
    refused = not_public(host, addresses)
    return None if refused is None else str(refused)


@dataclass(frozen=True)
class PinnedRequest:
    """A request to the checked address that still names the receiver: Host header and TLS server name."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, str]


def pinned(url: str, address: IPAddress) -> PinnedRequest:
    parts = urlsplit(url)
    host = parts.hostname or ""
    userinfo = parts.netloc.rpartition("@")[0]
    literal = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    netloc = f"{userinfo}@{netloc}" if userinfo else netloc
    named = host if parts.port is None else f"{host}:{parts.port}"
    return PinnedRequest(
        urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")),
        {"Host": named},
        {"sni_hostname": host},
    )
