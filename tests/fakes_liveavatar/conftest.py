"""Fixtures: a fake LiveAvatar served in-process on a kernel port, with a client (see client.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fakes.liveavatar import create_app
from farm.tls_context import shared_tls_context
from tests.fakes_liveavatar.client import Fake, FakeFactory, fake_config
from tests.support.servers import serve_app


@pytest.fixture
async def make_fake() -> AsyncIterator[FakeFactory]:
    """Start a fake with the given config overrides; everything started is stopped at the end of the test."""
    stack: list[Any] = []

    async def start(**overrides: Any) -> Fake:
        app = create_app(fake_config(**overrides))
        server_cm = serve_app(app)
        server = await server_cm.__aenter__()
        http = httpx.AsyncClient(verify=shared_tls_context(), base_url=server.base_url, timeout=30)
        stack.append((server_cm, http))
        return Fake(server.base_url, app.state.service, http)

    yield start
    for server_cm, http in reversed(stack):
        await http.aclose()
        await server_cm.__aexit__(None, None, None)


@pytest.fixture
async def fake(make_fake: FakeFactory) -> Fake:
    return await make_fake()
