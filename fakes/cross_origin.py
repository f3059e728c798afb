"""Shared by both fakes: every response may be embedded by pages of other origins, including
crossOriginIsolated ones (COEP: require-corp), like the bot page (it loads the fake Zoom's SDK stand-in and
calls both fakes)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"cross-origin-resource-policy"


class CrossOriginResourcePolicy:
    """Sets `Cross-Origin-Resource-Policy: cross-origin` on every HTTP response (replacing any other value)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_corp(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, b"cross-origin")]}
            await send(message)

        await self.app(scope, receive, with_corp)
