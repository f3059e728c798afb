"""The browser node's reading of the Playwright protocol: which calls pass, which are refused and why, the
refusal in Playwright's own answer shape, WebSocket frames read as sent (masked, fragmented, long), and a browser
that closes without its client asking said in the node's log."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import struct

import pytest

from farm.browsers.node_protocol_guard import ProtocolGuard, refusal, refused_answer
from farm.browsers.websocket_frames import CLOSE, TEXT, FrameError, read_frame, text_frame


def _call(guid: str, method: str, **params: object) -> dict[str, object]:
    return {"id": 7, "guid": guid, "method": method, "params": params, "metadata": {}}


@pytest.mark.parametrize(
    "message",
    [
        _call("browser@1", "newContext", viewport={"width": 1280, "height": 720}, noDefaultViewport=False),
        _call("frame@1", "goto", url="http://avatarfarm:8800/bot/abc", waitUntil="domcontentloaded"),
        _call("frame@1", "goto", url="data:text/html,<p>x</p>"),
        _call("frame@1", "goto", url="about:blank"),
        _call("frame@1", "evaluateExpression", expression="6 * 7", isFunction=False, arg={}),
        _call("browser-context@1", "addInitScript", source="/* media bridge */"),
        _call("route@1", "continue", url="https://zoom.us/x"),
        _call("route@1", "continue"),
        # Playwright's bookkeeping: a cancelled call aborted, a wait annotated (no id, never answered).
        {"guid": "frame@1", "method": "__abort__", "params": {"id": 12, "reason": "The operation was aborted"}},
        {"id": 13, "guid": "page@1", "method": "__waitInfo__", "params": {}, "metadata": {}},
    ],
)
def test_a_bots_calls_pass(message: dict[str, object]) -> None:
    assert refusal(message) is None


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (_call("frame@1", "goto", url="file:///etc/passwd"), "navigation to file:"),
        (_call("frame@1", "goto", url="FILE:///etc/passwd"), "navigation to file:"),
        (_call("frame@1", "goto", url="chrome://version"), "navigation to chrome:"),
        (_call("frame@1", "goto", url="about:version"), "navigation to about:"),
        (_call("route@1", "continue", url="file:///etc/passwd"), "navigation to file:"),
        (_call("browser@1", "newContext", proxy={"server": "http://evil:3128"}), "its own proxy"),
        (_call("browser@1", "newContext", clientCertificates=[{"origin": "https://x"}]), "client certificates"),
        (_call("browser@1", "newBrowserCDPSession"), "browser.newBrowserCDPSession is not a call"),
        (_call("browser-context@1", "newCDPSession", page={"guid": "page@1"}), "newCDPSession"),
        (_call("", "newRequest"), "newRequest"),
        (_call("request-context@1", "fetch", url="http://169.254.169.254/"), "request-context.fetch"),
        (_call("frame@1", "setInputFiles", selector="input", localPaths=["/etc/passwd"]), "setInputFiles"),
        (_call("artifact@1", "saveAs", path="/home/avatarfarm/.bashrc"), "artifact.saveAs"),
        (_call("browser-type@1", "launch", executablePath="/bin/sh"), "launch"),
        ({"id": 1, "guid": "page@1"}, "not a Playwright call"),
        ([1, 2], "not a Playwright call"),
        (None, "not a Playwright call"),
    ],
)
def test_what_could_escape_is_refused(message: object, why: str) -> None:
    found = refusal(message)
    assert found is not None and why in found, found


def test_a_refusal_is_answered_as_a_failed_call() -> None:
    answer = json.loads(refused_answer(_call("frame@1", "goto", url="file:///"), "navigation to file:"))
    assert answer == {
        "id": 7,
        "error": {
            "error": {"name": "Error", "message": "refused by the browser node: navigation to file:", "stack": ""}
        },
    }


def _masked(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    key = os.urandom(4)
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    first = (0x80 if fin else 0) | opcode
    if len(payload) < 126:
        head = struct.pack("!BB", first, 0x80 | len(payload))
    elif len(payload) < 1 << 16:
        head = struct.pack("!BBH", first, 0x80 | 126, len(payload))
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, len(payload))
    return head + key + body


async def _reader(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


@pytest.mark.parametrize("size", [0, 5, 125, 126, 65535, 65536, 200_000])
async def test_frames_are_read_whole_and_kept_as_sent(size: int) -> None:
    payload = os.urandom(size)
    raw = _masked(TEXT, payload)
    frame = await read_frame(await _reader(raw), max_payload=1 << 20)
    assert (frame.fin, frame.opcode, frame.payload, frame.raw) == (True, TEXT, payload, raw)


async def test_a_frame_over_the_cap_or_with_a_reserved_bit_is_an_error() -> None:
    with pytest.raises(FrameError, match="at most 100"):
        await read_frame(await _reader(_masked(TEXT, b"x" * 101)), max_payload=100)
    compressed = bytearray(_masked(TEXT, b"x"))
    compressed[0] |= 0x40
    with pytest.raises(FrameError, match="reserved bit"):
        await read_frame(await _reader(bytes(compressed)), max_payload=100)


async def test_a_servers_text_frame_reads_back() -> None:
    for size in (3, 300, 70_000):
        text = "é" * size
        frame = await read_frame(await _reader(text_frame(text)), max_payload=1 << 20)
        assert frame.payload.decode() == text and frame.fin


Ends = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _connected() -> tuple[Ends, Ends]:
    one, other = socket.socketpair()
    return await asyncio.open_connection(sock=one), await asyncio.open_connection(sock=other)


@pytest.mark.parametrize("client_asked", [False, True])
async def test_a_browser_that_closes_without_its_client_asking_is_said_in_the_nodes_log(
    client_asked: bool, caplog: pytest.LogCaptureFixture
) -> None:
    (farm, front), (upstream, playwright) = await _connected(), await _connected()
    relay = asyncio.ensure_future(ProtocolGuard().relay(front, upstream))
    call = {"id": 1, "guid": "browser@1", "method": "close" if client_asked else "newContext", "params": {}}
    farm[1].write(_masked(TEXT, json.dumps(call).encode()))
    assert json.loads((await read_frame(playwright[0], max_payload=1 << 20)).payload) == call
    # Playwright's server closes the connection: its browser is gone ("Browser closed", 1001).
    closing = struct.pack("!H", 1001) + b"Browser closed"
    with caplog.at_level(logging.WARNING, logger="avatarfarm.node"):
        playwright[1].write(struct.pack("!BB", 0x80 | CLOSE, len(closing)) + closing)
        relayed = await read_frame(farm[0], max_payload=1 << 20)
        playwright[1].close()
        await asyncio.wait_for(relay, 5)
    assert (relayed.opcode, relayed.payload) == (CLOSE, closing)
    noted = [r.getMessage() for r in caplog.records if "closed without its client asking" in r.getMessage()]
    assert noted == (
        []
        if client_asked
        else [
            "a browser of this node closed without its client asking (Playwright closed the connection: 1001 "
            "Browser closed)"
        ]
    )
    farm[1].close()
