"""Students (and lecturers) in a fake meeting: Chromium pages on the fake Zoom's participant page, with a moving
camera and, when they speak, an espeak-ng voice on loop as their microphone."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from playwright.async_api import Browser, Page, Playwright, async_playwright

from tests.support.browsers import launch, launch_options
from tests.support.media import moving_y4m, speech_wav


@dataclass
class Students:
    playwright: Playwright
    zoom_url: str
    workdir: Path
    browsers: list[Browser] = field(default_factory=list)

    async def join(
        self, number: str, name: str, *, room: str | None = None, says: str | None = None, passcode: str = "pw123"
    ) -> Page:
        """`name` joins meeting `number` (and goes to breakout `room` when rooms open), saying `says` on loop."""
        slug = name.replace(" ", "_")
        video = moving_y4m(self.workdir / f"{slug}.y4m")
        audio = None
        if says:
            audio = speech_wav(says, self.workdir / f"{slug}.wav", voice="en-us+klatt", silence_after=2.5)
        browser = await launch(self.playwright, **launch_options(fake_video=video, fake_audio=audio))
        self.browsers.append(browser)
        page = await browser.new_page()
        query = f"name={quote(name)}&pwd={quote(passcode)}" + (f"&room={quote(room)}" if room else "")
        await page.goto(f"{self.zoom_url}/join/{number}?{query}")
        return page


@contextlib.asynccontextmanager
async def students(zoom_url: str, workdir: Path) -> AsyncIterator[Students]:
    async with async_playwright() as playwright:
        group = Students(playwright, zoom_url, workdir)
        try:
            yield group
        finally:
            for browser in group.browsers:
                with contextlib.suppress(Exception):
                    await browser.close()
