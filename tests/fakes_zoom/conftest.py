"""Fixtures of the fakes/zoom tests: a fake Zoom served in-process on a kernel-chosen port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.fakes_zoom.harness import FakeZoom, running_fake_zoom


@pytest_asyncio.fixture
async def fake_zoom() -> AsyncIterator[FakeZoom]:
    async with running_fake_zoom() as fake:
        yield fake
