"""What a browser node lets a client ask of Playwright: the calls the farm makes on a bot's browser, and no call
that could take a browser, or the node, past the node's egress proxy (farm/browsers/node_egress.py).

The node's token front relays a client's WebSocket message by message (farm/browsers/node_server.py). Each message from
the client is a Playwright call: `{id, guid, method, params}`, the guid naming the object (`page@…`,
`browser-context@…`). A call goes through only when its method is on ALLOWED_METHODS, and then only within
these limits:

* a context with its own `proxy` is refused: Chromium would send that context's traffic to the client's proxy
  instead of the node's; so is one with client certificates (Playwright would make its TLS connections);
* navigation (`goto`) and a route continued with a new URL must name http:, https:, data: or about:blank
  (not file:, chrome:, view-source: or any other scheme the proxy never sees); which hosts they reach is the
  proxy's to decide.

Everything else is refused, notably what reaches past the browser: CDP sessions (raw Chromium protocol:
contexts with proxies, downloads to any path), Playwright's own HTTP client (`newRequest`, `fetch`: Node.js
requests outside the browser and its proxy), files of the node (`setInputFiles` with paths, `saveAs`), HAR
and tracing to the node's disk, and launching browsers. A refused call is answered as Playwright answers a
failed one (the client's call raises, with the reason), is logged once per reason, and never reaches Playwright.
Messages from Playwright to the client pass unchanged. When its browser fails to start, Playwright answers the
client's `initialize` with the error and keeps the connection open (and so does the client): the node closes it
then, or the browser that never started would hold its slot. When Playwright closes a connection whose client never
asked its browser to close (the browser crashed or exited, at launch or later), the node says so in its log,
with Playwright's close code and reason: the client sees only "Target page, context or browser has been closed".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from farm.browsers.websocket_frames import CLOSE, TEXT, Frame, FrameError, close_frame, read_frame, text_frame

log = logging.getLogger("avatarfarm.node")

# A client's largest message: the media bridge init script and a page's evaluate calls are well below it.
MAX_CLIENT_MESSAGE = 8 * 1024 * 1024
# Playwright's messages to the client carry screenshots and page reports: larger, and only relayed.
MAX_SERVER_FRAME = 256 * 1024 * 1024
# data: documents are the client's own content in an opaque origin; their requests still meet the proxy.
NAVIGABLE_SCHEMES = frozenset({"http", "https", "data"})

# The calls a bot's browser makes (browser_node.py: a context with the media bridge and the report binding,
# a page, the bot page loaded, the farm's commands evaluated in it, events subscribed to, bindings answered),
# what `avatarfarm doctor` asks of a node (a page loads PUBLIC_BASE_URL/healthz, its answer's body is read), and
# the page-local calls tests make on a node's page (routes answered by the client, a page's text). The same
# method name on another object is the same kind of call.
ALLOWED_METHODS = frozenset(
    {
        "initialize",
        "newContext",
        "close",
        "updateSubscription",
        "addInitScript",
        "exposeBinding",
        "newPage",
        "goto",
        "evaluateExpression",
        "resolve",
        "reject",
        "setNetworkInterceptionPatterns",
        "fulfill",
        "continue",
        "abort",
        "textContent",
        "body",
    }
)
# Playwright's own bookkeeping about the client's calls, not calls themselves: `__abort__` ends a call of this
# client whose awaiting task was cancelled (the farm gives up on a page command), `__waitInfo__` annotates a
# wait. Neither carries an id nor is answered; refused, the refusal's answer (id null) broke the client's
# connection, and with it the bot's browser, whenever the farm cancelled a call in flight.
BOOKKEEPING_METHODS = frozenset({"__abort__", "__waitInfo__"})
# Options of a new context that would take its traffic past the node's proxy: its own proxy, and client
# certificates (Playwright then makes the context's TLS connections itself, from Node.js).
CONTEXT_OPTIONS_REFUSED = {
    "proxy": "a browser context with its own proxy (the node's proxy decides where its browsers connect)",
    "clientCertificates": "a browser context with client certificates (Playwright would connect for it, "
    "past the node's proxy)",
}


def refusal(message: Any) -> str | None:
    """Why a client's message may not reach Playwright, or None when it may."""
    if not isinstance(message, dict):
        return "a message that is not a Playwright call"
    method = message.get("method")
    params = message.get("params") or {}
    kind = str(message.get("guid") or "").split("@", 1)[0] or "the connection"
    if not isinstance(method, str) or not isinstance(params, dict):
        return "a message that is not a Playwright call"
    if method in BOOKKEEPING_METHODS:
        return None
    if method not in ALLOWED_METHODS:
        return f"{kind}.{method} is not a call a bot's browser makes"
    if method == "newContext":
        for option, why in CONTEXT_OPTIONS_REFUSED.items():
            if params.get(option):
                return why
    if method in ("goto", "continue") and "url" in params:
        url = str(params.get("url") or "")
        scheme = urlsplit(url).scheme.lower()
        if scheme not in NAVIGABLE_SCHEMES and url != "about:blank":
            where = f"{scheme}:" if scheme else "a URL without a scheme"
            return f"navigation to {where} (a node's browsers open http:, https:, data: and about:blank only)"
    return None


def refused_answer(message: Any, why: str) -> str:
    """Playwright's own shape of a failed call, so the client's call raises with the reason."""
    call_id = message.get("id") if isinstance(message, dict) else None
    text = f"refused by the browser node: {why}"
    return json.dumps({"id": call_id, "error": {"error": {"name": "Error", "message": text, "stack": ""}}})


class _Downstream:
    """The client's side of the relay: Playwright's frames, and refusals between its messages (never inside
    a message Playwright sends in fragments)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.mid_message = False
        self.pending: list[bytes] = []
        self.close_asked = False  # the client asked its browser to close (or closed the connection itself)
        self.initialize_id: object = None  # the client's first call, answered once its browser has started
        self.started: bool | None = None  # whether it has (None until Playwright answers that call)

    def frame(self, frame: Frame) -> None:
        self.writer.write(frame.raw)
        if not frame.control:
            self.mid_message = not frame.fin
        if not self.mid_message and self.pending:
            self.writer.write(b"".join(self.pending))
            self.pending.clear()

    def launch_answer(self, frame: Frame) -> bool | None:
        """Whether this frame says the browser started (True) or did not (False); None for any other frame.
        Only whole text frames are read, and only until Playwright has answered the client's `initialize`."""
        if self.started is not None or self.initialize_id is None or frame.opcode != TEXT or not frame.fin:
            return None
        try:
            message = json.loads(frame.payload)
        except ValueError:
            return None
        if not isinstance(message, dict) or message.get("id") != self.initialize_id:
            return None
        self.started = "error" not in message
        return self.started

    def refuse(self, answer: str) -> None:
        if self.mid_message:
            self.pending.append(text_frame(answer))
        else:
            self.writer.write(text_frame(answer))


class ProtocolGuard:
    """Relays one client's WebSocket to Playwright's server, message by message, refusing calls it may not make."""

    def __init__(self) -> None:
        self._told: set[str] = set()

    async def relay(
        self,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        downstream = _Downstream(client[1])
        pumps = [
            asyncio.ensure_future(self._from_client(client[0], upstream[1], downstream)),
            asyncio.ensure_future(_from_playwright(upstream[0], downstream)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)

    async def _from_client(
        self, reader: asyncio.StreamReader, upstream: asyncio.StreamWriter, downstream: _Downstream
    ) -> None:
        held: list[Frame] = []  # the frames of a message not yet whole
        size = 0
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                try:
                    frame = await read_frame(reader, max_payload=MAX_CLIENT_MESSAGE)
                except FrameError as exc:
                    log.warning("a node client's connection closed: %s", exc)
                    return
                if frame.control:
                    if frame.opcode == CLOSE:
                        downstream.close_asked = True
                    upstream.write(frame.raw)
                    await upstream.drain()
                    if frame.opcode == CLOSE:
                        return
                    continue
                held.append(frame)
                size += len(frame.payload)
                if size > MAX_CLIENT_MESSAGE:
                    log.warning("a node client's connection closed: a message over %d bytes", MAX_CLIENT_MESSAGE)
                    return
                if not frame.fin:
                    continue
                frames, held, size = held, [], 0
                try:
                    message = json.loads(b"".join(f.payload for f in frames))
                except ValueError:
                    message = None
                why = refusal(message)
                if why is None:
                    if downstream.initialize_id is None and message.get("method") == "initialize":
                        downstream.initialize_id = message.get("id")
                    if _closes_its_browser(message):
                        downstream.close_asked = True
                    upstream.write(b"".join(f.raw for f in frames))
                    await upstream.drain()
                    continue
                if why not in self._told:
                    self._told.add(why)
                    log.warning("a node client's call refused: %s", why)
                if isinstance(message, dict) and message.get("id") is not None:
                    downstream.refuse(refused_answer(message, why))
                # Without an id nobody awaits an answer, and one with a null id breaks the client's connection.


def _closes_its_browser(message: Any) -> bool:
    return message.get("method") == "close" and str(message.get("guid") or "").startswith("browser@")


def close_code_and_reason(payload: bytes) -> tuple[int | None, str]:
    """A WebSocket close frame's status code (None when it has none) and reason text."""
    if len(payload) < 2:
        return None, ""
    return int.from_bytes(payload[:2], "big"), payload[2:].decode(errors="replace")


async def _from_playwright(reader: asyncio.StreamReader, downstream: _Downstream) -> None:
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, FrameError):
        while True:
            frame = await read_frame(reader, max_payload=MAX_SERVER_FRAME)
            if frame.opcode == CLOSE and not downstream.close_asked:
                code, reason = close_code_and_reason(frame.payload)
                log.warning(
                    "a browser of this node closed without its client asking (Playwright closed the connection: %s %s)",
                    code,
                    reason or "without a reason",
                )
            downstream.frame(frame)
            if downstream.launch_answer(frame) is False:
                # Playwright answers a failed launch and then keeps the connection open, and so does the client:
                # the node would count the browser that never started for as long as the client lives.
                log.warning("a browser of this node did not start; its connection is closed")
                downstream.writer.write(close_frame(1011, "the browser did not start"))
                await downstream.writer.drain()
                return
            await downstream.writer.drain()
