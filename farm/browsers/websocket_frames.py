"""WebSocket frames (RFC 6455) as a relay sees them: read one whole frame from a stream, keeping its bytes as
they came, and unmask its payload; build an unmasked text frame. No extension is ever negotiated through the
relay (the node drops Sec-WebSocket-Extensions), so a frame with a reserved bit set is an error."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CONTROL = frozenset({CLOSE, PING, PONG})


class FrameError(Exception):
    """Bytes that are not a frame this relay accepts (reserved bits, an unknown opcode, too long)."""


@dataclass(frozen=True)
class Frame:
    fin: bool
    opcode: int
    raw: bytes  # the frame exactly as read: header, mask key, masked payload
    payload: bytes  # unmasked

    @property
    def control(self) -> bool:
        return self.opcode in CONTROL


async def read_frame(reader: asyncio.StreamReader, *, max_payload: int) -> Frame:
    head = await reader.readexactly(2)
    fin, rsv, opcode = bool(head[0] & 0x80), head[0] & 0x70, head[0] & 0x0F
    masked, length = bool(head[1] & 0x80), head[1] & 0x7F
    if rsv:
        raise FrameError("a frame with a reserved bit set (no extension was negotiated)")
    if opcode not in (CONTINUATION, TEXT, BINARY, *CONTROL):
        raise FrameError(f"a frame with the unknown opcode {opcode}")
    extended = b""
    if length == 126:
        extended = await reader.readexactly(2)
        (length,) = struct.unpack("!H", extended)
    elif length == 127:
        extended = await reader.readexactly(8)
        (length,) = struct.unpack("!Q", extended)
    if length > max_payload:
        raise FrameError(f"a frame of {length} bytes (at most {max_payload})")
    key = await reader.readexactly(4) if masked else b""
    body = await reader.readexactly(length)
    payload = _unmask(body, key) if masked else body
    return Frame(fin, opcode, head + extended + key + body, payload)


def _unmask(body: bytes, key: bytes) -> bytes:
    if not body:
        return body
    repeated = (key * (len(body) // 4 + 1))[: len(body)]
    return (int.from_bytes(body, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(body), "big")


def close_frame(code: int, reason: str) -> bytes:
    """An unmasked close frame (what a server sends) with its status code and a short reason."""
    payload = code.to_bytes(2, "big") + reason.encode()[:123]
    return struct.pack("!BB", 0x80 | CLOSE, len(payload)) + payload


def text_frame(text: str) -> bytes:
    """One unmasked, final text frame (what a server sends)."""
    payload = text.encode()
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | TEXT, length)
    elif length < 1 << 16:
        head = struct.pack("!BBH", 0x80 | TEXT, 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | TEXT, 127, length)
    return head + payload
