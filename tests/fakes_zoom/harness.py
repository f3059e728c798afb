"""Test helpers for fakes/zoom: JWTs minted with pyjwt, a running service, and a raw signalling client.

The JWTs are made here from Zoom's documented claims, independently of the service's own code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from websockets.asyncio.client import ClientConnection, connect

from fakes.zoom import FakeZoomConfig, create_app
from farm.tls_context import shared_tls_context
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.servers import serve_app

SDK_KEY = "test-sdk-key"
SDK_SECRET = "test-sdk-secret-of-32-characters!"
ADMIN_TOKEN = "test-admin-token"
OAUTH_CLIENT_ID = "test-oauth-client"
OAUTH_CLIENT_SECRET = "test-oauth-secret"
PROFESSOR = "sim-professor"  # default user of the external (university) account
APP_OWNER = "sim-app-owner"  # default user of the SDK app's own account


def meeting_jwt(
    meeting_number: str,
    *,
    role: int | str = 0,
    key: str | None = SDK_KEY,
    key_claim: str = "appKey",
    secret: str = SDK_SECRET,
    iat: float | None = None,
    lifetime: float = 7200,
    algorithm: str = "HS256",
    **extra: Any,
) -> str:
    """A Meeting SDK JWT as Zoom's official sample builds it (appKey + sdkKey, mn, role, iat, exp, tokenExp)."""
    issued = int(time.time()) - 30 if iat is None else int(iat)
    payload: dict[str, Any] = {"mn": meeting_number, "role": role, "iat": issued, "exp": int(issued + lifetime)}
    payload["tokenExp"] = payload["exp"]
    if key is not None:
        payload[key_claim] = key
    payload.update(extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(payload, secret, algorithm=algorithm)


@dataclass
class FakeZoom:
    """A running fake Zoom and an httpx client holding its admin token."""

    base_url: str
    admin: httpx.AsyncClient
    app: Any

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/sdk/ws"

    async def create_meeting(self, **body: Any) -> dict[str, Any]:
        response = await self.admin.post("/fake/meetings", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def roster(self, number: str) -> dict[str, Any]:
        response = await self.admin.get(f"/fake/meetings/{number}/roster")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def person(self, number: str, name: str) -> dict[str, Any]:
        roster = await self.roster(number)
        for p in roster["participants"]:
            if p["name"] == name:
                return dict(p)
        raise AssertionError(f"{name} not in roster: {[p['name'] for p in roster['participants']]}")

    async def add_virtual(self, number: str, **body: Any) -> int:
        response = await self.admin.post(f"/fake/meetings/{number}/participants", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["user_id"])

    async def post(self, path: str, **body: Any) -> dict[str, Any]:
        response = await self.admin.post(path, json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def user_token(self, user: str, *, kind: str = "onbehalf", **params: Any) -> str:
        """An OBF token or ZAK through the OAuth + REST flow, as the farm gets one."""
        async with httpx.AsyncClient(
            timeout=CLIENT_TIMEOUT, verify=shared_tls_context(), base_url=self.base_url, follow_redirects=False
        ) as client:
            redirect = "http://127.0.0.1:9/callback"
            authorize = await client.get(
                "/oauth/authorize",
                params={"response_type": "code", "client_id": OAUTH_CLIENT_ID, "redirect_uri": redirect, "user": user},
            )
            assert authorize.status_code == 302, authorize.text
            code = httpx.URL(authorize.headers["location"]).params["code"]
            tokens = await client.post(
                "/oauth/token",
                data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
                auth=(OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET),
            )
            assert tokens.status_code == 200, tokens.text
            access = tokens.json()["access_token"]
            response = await client.get(
                "/v2/users/me/token",
                params={"type": kind, **params},
                headers={"Authorization": f"Bearer {access}"},
            )
            assert response.status_code == 200, response.text
            return str(response.json()["token"])


def config_for_tests(**overrides: Any) -> FakeZoomConfig:
    values: dict[str, Any] = {
        "sdk_key": SDK_KEY,
        "sdk_secret": SDK_SECRET,
        "admin_token": ADMIN_TOKEN,
        "oauth_client_id": OAUTH_CLIENT_ID,
        "oauth_client_secret": OAUTH_CLIENT_SECRET,
    }
    values.update(overrides)
    return FakeZoomConfig(**values)


@contextlib.asynccontextmanager
async def running_fake_zoom(**overrides: Any) -> AsyncIterator[FakeZoom]:
    app = create_app(config_for_tests(**overrides))
    async with serve_app(app) as server:
        async with httpx.AsyncClient(
            verify=shared_tls_context(),
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=30,
        ) as admin:
            yield FakeZoom(base_url=server.base_url, admin=admin, app=app)


@dataclass
class SignallingClient:
    """Speaks the stand-in's WebSocket protocol directly: what one SDK client would send and receive."""

    connection: ClientConnection
    messages: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False
    user_id: int | None = None
    _next_id: int = 1
    _reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str) -> SignallingClient:
        client = cls(await connect(url))
        client._reader = asyncio.create_task(client._read())
        return client

    async def _read(self) -> None:
        try:
            async for raw in self.connection:
                self.messages.append(json.loads(raw))
                self.arrived.set()
        except Exception:
            pass
        finally:
            self.closed = True
            self.arrived.set()

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], within: float = 20, since: int = 0
    ) -> dict[str, Any]:
        """The first message from index `since` on (received or still to come) that matches."""
        deadline = asyncio.get_running_loop().time() + within
        seen = since
        while True:
            for message in self.messages[seen:]:
                if predicate(message):
                    return message
            seen = len(self.messages)
            if self.closed:
                raise AssertionError(f"socket closed; got {self.messages[-5:]}")
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"timed out; last messages {self.messages[-5:]}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), remaining)

    async def join(self, meeting_number: str, user_name: str, **fields: Any) -> dict[str, Any]:
        """Send `join`; return the `joined` or `join_failed` message."""
        fields.setdefault("signature", meeting_jwt(meeting_number))
        await self.send({"op": "join", "meetingNumber": meeting_number, "userName": user_name, **fields})
        result = await self.wait_for(lambda m: m["op"] in ("joined", "join_failed"))
        if result["op"] == "joined":
            self.user_id = int(result["userId"])
        return result

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def request(self, method: str, **params: Any) -> dict[str, Any]:
        request_id = self._next_id
        self._next_id += 1
        await self.send({"op": "request", "id": request_id, "method": method, "params": params})
        return await self.wait_for(lambda m: m["op"] == "response" and m["id"] == request_id)

    def state(self) -> dict[str, Any]:
        states = [m for m in self.messages if m["op"] == "state"]
        assert states, "no state received"
        return states[-1]

    def events(self, name: str) -> list[Any]:
        return [m["payload"] for m in self.messages if m["op"] == "event" and m["name"] == name]

    async def wait_event(self, name: str, predicate: Callable[[Any], bool] = lambda _: True, since: int = 0) -> Any:
        message = await self.wait_for(
            lambda m: m["op"] == "event" and m["name"] == name and predicate(m["payload"]), since=since
        )
        return message["payload"]

    async def wait_state(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The current state if it matches, else the next state that does."""
        last = max((i for i, m in enumerate(self.messages) if m["op"] == "state"), default=0)
        return await self.wait_for(lambda m: m["op"] == "state" and predicate(m), since=last)

    async def close(self) -> None:
        await self.connection.close()
        if self._reader is not None:
            await self._reader
