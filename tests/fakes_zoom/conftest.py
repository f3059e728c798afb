"""Fixtures of the fakes/zoom tests: fake Zoom services in-process, one Chromium shared by the browser tests,
and an app page on another origin (crossOriginIsolated, like the bot page) that loads the SDK stand-in."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.fakes_zoom.harness import FakeZoom, running_fake_zoom
from tests.support.browsers import launch, launch_options
from tests.support.media import moving_y4m, speech_wav
from tests.support.servers import RunningServer, serve_app

SPEECH = (
    "Good morning everyone. Today we talk about the trolley problem and whether consequences are all "
    "that matter. Take a minute and tell your neighbour what you would do, and why."
)

# A page like the bot page: on its own origin, cross-origin isolated, loading the SDK from the fake's URL.
APP_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>app page</title></head>
<body><div id="zoom-root"></div>
<script>
  const sdk = new URLSearchParams(location.search).get('sdk');
  window.sdkLoaded = new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = sdk;
    script.onload = resolve;
    script.onerror = () => reject(new Error('SDK did not load'));
    document.head.append(script);
  });
</script></body></html>"""


@pytest_asyncio.fixture
async def fake_zoom() -> AsyncIterator[FakeZoom]:
    async with running_fake_zoom() as fake:
        yield fake


@pytest.fixture(scope="session")
def fake_media(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("fake-media")
    return speech_wav(SPEECH, directory / "speech.wav"), moving_y4m(directory / "motion.y4m", seconds=3.0)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium(fake_media: tuple[Path, Path]) -> AsyncIterator[Browser]:
    """One Chromium for every browser test; its fake camera and microphone play a moving bar and speech."""
    wav, y4m = fake_media
    async with async_playwright() as playwright:
        browser = await launch(playwright, **launch_options(fake_video=y4m, fake_audio=wav))
        yield browser
        await browser.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def module_zoom() -> AsyncIterator[FakeZoom]:
    """A fake Zoom shared by the tests of one module (each test uses its own meeting)."""
    async with running_fake_zoom() as fake:
        yield fake


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def app_origin() -> AsyncIterator[RunningServer]:
    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(
            APP_PAGE,
            headers={"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"},
        )

    async with serve_app(Starlette(routes=[Route("/app", page)])) as server:
        yield server


_numbers: Iterator[int] = itertools.count(85_000_000_001)


@pytest.fixture
def meeting_number() -> str:
    """A fresh meeting number per test."""
    return str(next(_numbers))
