"""A client for a fake LiveAvatar under test: its three kinds of caller (API key, session token, admin) and
builders for the usual calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from fakes.liveavatar import FakeLiveAvatarConfig
from fakes.liveavatar.avatars import WAYNE_ID
from fakes.liveavatar.service import LiveAvatarService
from tests.support.polling import until

API_KEY = "test-liveavatar-key"
ADMIN_TOKEN = "test-admin-token"
ADA_ID = "3b8f0c1e-5a52-4f43-a0a4-6e6f1c2d9b10"


@dataclass
class Fake:
    base_url: str
    service: LiveAvatarService
    http: httpx.AsyncClient
    headers: dict[str, str] = field(default_factory=lambda: {"X-API-KEY": API_KEY})
    admin_headers: dict[str, str] = field(default_factory=lambda: {"Authorization": f"Bearer {ADMIN_TOKEN}"})

    async def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, path, headers=self.headers, **kwargs)

    async def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, path, headers=self.admin_headers, **kwargs)

    async def bearer(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def create_context(self, **fields: Any) -> str:
        body = {"name": "Calculus", "prompt": "You are Professor Ada.", "opening_text": "", **fields}
        response = await self.api("POST", "/v1/contexts", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["data"]["id"])

    async def token(self, **body: Any) -> dict[str, str]:
        payload = {"avatar_id": WAYNE_ID, "avatar_persona": {}, **body}
        response = await self.api("POST", "/v1/sessions/token", json=payload)
        assert response.status_code == 200, response.text
        data: dict[str, str] = response.json()["data"]
        return data

    async def started(self, **body: Any) -> dict[str, Any]:
        """Token + start: the start response's data plus the session token."""
        token = await self.token(**body)
        response = await self.bearer("POST", "/v1/sessions/start", token["session_token"])
        assert response.status_code == 201, response.text
        return {**response.json()["data"], "session_token": token["session_token"]}

    async def session(self, session_id: str) -> dict[str, Any]:
        response = await self.api("GET", f"/v1/sessions/{session_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


FakeFactory = Callable[..., Awaitable[Fake]]


def fake_config(**overrides: Any) -> FakeLiveAvatarConfig:
    return FakeLiveAvatarConfig(api_key=API_KEY, admin_token=ADMIN_TOKEN, tick_interval_s=0.05, **overrides)


async def wait_for(predicate: Callable[[], Awaitable[bool]], within: float = 20.0, interval: float = 0.05) -> None:
    """Poll until `predicate()` is true; generous by default because CI machines are shared and slow."""
    await until(predicate, within, "the condition", every=interval)


class ManualClock:
    """A monotonic clock that only moves when the test says so (FakeLiveAvatarConfig.clock)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
