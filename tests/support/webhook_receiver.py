"""A webhook receiver for tests: verifies every delivery with the standardwebhooks package, records what it
accepted (by webhook-id) and every attempt, and can be told to fail or hang."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Delivery:
    webhook_id: str
    type: str
    data: dict[str, Any]


@dataclass
class WebhookReceiver:
    secret: str
    mode: str = "ok"  # ok | fail | hang
    accepted: list[Delivery] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)  # webhook-id of every request, whatever the answer
    bad_signatures: int = 0
    hosts: list[str] = field(default_factory=list)  # the Host header of every request
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # ends the hangs

    def app(self) -> FastAPI:
        app = FastAPI()
        verifier = Webhook(self.secret)

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            self.hosts.append(request.headers.get("host", ""))
            try:
                payload = verifier.verify(body, dict(request.headers))
            except WebhookVerificationError:
                self.bad_signatures += 1
                return Response(status_code=400)
            webhook_id = request.headers["webhook-id"]
            self.attempts.append(webhook_id)
            self.arrived.set()
            if self.mode == "hang":
                await self.release.wait()
                return Response(status_code=504)
            if self.mode == "fail":
                return Response(status_code=503)
            self.accepted.append(Delivery(webhook_id, payload["type"], payload["data"]))
            return Response(status_code=204)

        return app

    def ids(self) -> list[str]:
        return [d.webhook_id for d in self.accepted]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [d.data for d in self.accepted if d.type == kind]

    def dump(self) -> str:
        return json.dumps([d.__dict__ for d in self.accepted], indent=1)[:4000]

    async def wait_for(self, predicate: Any, within: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            assert loop.time() < deadline, f"timed out; accepted so far: {self.dump()}"
            await asyncio.sleep(0.05)
