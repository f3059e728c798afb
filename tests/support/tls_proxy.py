"""TLS in front of a plain server on loopback, with a certificate made for the test: `tls_proxy` is a
TLS-terminating reverse proxy as an ingress would stand in front of avatarfarm (it forwards each request over
plain http with `Host` rewritten to the backend, nginx's default, and X-Forwarded-For/-Proto/-Host added, one
request per connection); `tls_tunnel` only terminates TLS and passes the bytes on (a WebSocket server such as
a browser node behind a TLS sidecar)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_certificate(directory: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1")) -> tuple[Path, Path]:
    """A self-signed certificate for `names` (host names and IP addresses): (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    alternatives: list[x509.GeneralName] = []
    for each in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(each)))
        except ValueError:
            alternatives.append(x509.DNSName(each))
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(alternatives),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "proxy.crt", directory / "proxy.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass(frozen=True)
class TlsProxy:
    url: str  # https://127.0.0.1:PORT
    certificate: Path


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while block := await reader.read(65536):
            writer.write(block)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@contextlib.asynccontextmanager
async def tls_proxy(backend_port: int, directory: Path) -> AsyncIterator[TlsProxy]:
    cert_path, key_path = make_certificate(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            head = await client_reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            client_writer.close()
            return
        request_line, *lines = head.decode("latin-1").split("\r\n")
        headers = [line for line in lines if line]
        host = next((line.split(":", 1)[1].strip() for line in headers if line.lower().startswith("host:")), "")
        kept = [line for line in headers if not line.lower().startswith(("host:", "connection:", "x-forwarded-"))]
        peer = client_writer.get_extra_info("peername")[0]
        forwarded = [
            f"Host: 127.0.0.1:{backend_port}",
            "Connection: close",
            f"X-Forwarded-For: {peer}",
            "X-Forwarded-Proto: https",
            f"X-Forwarded-Host: {host}",
        ]
        backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", backend_port)
        backend_writer.write(("\r\n".join([request_line, *kept, *forwarded]) + "\r\n\r\n").encode("latin-1"))
        await asyncio.gather(_pipe(client_reader, backend_writer), _pipe(backend_reader, client_writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        yield TlsProxy(f"https://127.0.0.1:{port}", cert_path)
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 5)


@contextlib.asynccontextmanager
async def tls_tunnel(
    backend_host: str, backend_port: int, directory: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1")
) -> AsyncIterator[TlsProxy]:
    cert_path, key_path = make_certificate(directory, names)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        backend_reader, backend_writer = await asyncio.open_connection(backend_host, backend_port)
        await asyncio.gather(_pipe(client_reader, backend_writer), _pipe(backend_reader, client_writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        yield TlsProxy(f"wss://127.0.0.1:{port}/", cert_path)
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 5)
