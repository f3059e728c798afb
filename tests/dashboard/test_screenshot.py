"""A screenshot of a 6-room session (scripted farm, varied states, the simulated avatar's frames as
thumbnails). It goes to tests/dashboard/dashboard.png with AVATARFARM_WRITE_SCREENSHOT=1 (for the README), otherwise to
tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.dashboard.conftest import DashboardServer
from tests.dashboard.pages import Dashboard
from tests.dashboard.scenes import SIX_ROOMS, six_room_class

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

ROOT = Path(__file__).resolve().parents[2]


def screenshot_path() -> Path:
    if os.environ.get("AVATARFARM_WRITE_SCREENSHOT") == "1":
        return ROOT / "tests" / "dashboard" / "dashboard.png"
    return ROOT / "tests" / "artifacts" / "dashboard.png"


async def test_screenshot_of_a_six_room_session(
    signed_in: Dashboard, server: DashboardServer, chromium: Browser, page: Page
) -> None:
    scene = await six_room_class(server, chromium)
    await page.set_viewport_size({"width": 1280, "height": 900})
    monitor = await signed_in.open_session(scene.session_id)
    await monitor.expect_live_updates()
    await expect(monitor.cards).to_have_count(6)
    first, second, third = (monitor.room(name) for name, _ in SIX_ROOMS[:3])
    for card in (first, second, third):
        await card.expect_thumbnail_loaded()
    await first.expect_colour("green")
    await third.expect_colour("yellow")
    await monitor.room(SIX_ROOMS[5][0]).expect_colour("red")
    await monitor.expect_summary("rooms", "3 / 6")
    await first.expand()
    await first.expect_transcript_line("What happens when n reaches zero?")
    await page.evaluate("document.activeElement && document.activeElement.blur()")

    path = screenshot_path()
    png = await monitor.screenshot(path)
    assert path.is_file() and path.stat().st_size == len(png)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 60_000, f"screenshot is only {len(png)} bytes"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width >= 1200 and height >= 800, (width, height)
    await assert_colourful(page, png)


async def assert_colourful(page: Page, png: bytes) -> None:
    """The picture has many distinct colours and each state colour shows up (not a blank or error page)."""
    import base64

    stats = await page.evaluate(
        """async (b64) => {
            const image = new Image();
            image.src = "data:image/png;base64," + b64;
            await image.decode();
            const canvas = new OffscreenCanvas(image.width, image.height);
            const g = canvas.getContext("2d");
            g.drawImage(image, 0, 0);
            const data = g.getImageData(0, 0, image.width, image.height).data;
            const colours = new Set();
            const near = (r, g2, b, [R, G, B]) => Math.abs(r - R) + Math.abs(g2 - G) + Math.abs(b - B) < 30;
            const seen = { green: 0, yellow: 0, red: 0 };
            for (let i = 0; i < data.length; i += 4 * 7) {
                const [r, g2, b] = [data[i], data[i + 1], data[i + 2]];
                colours.add((r >> 3) << 10 | (g2 >> 3) << 5 | (b >> 3));
                if (near(r, g2, b, [0x16, 0x65, 0x34])) seen.green++;
                if (near(r, g2, b, [0xfa, 0xcc, 0x15])) seen.yellow++;
                if (near(r, g2, b, [0xb9, 0x1c, 0x1c])) seen.red++;
            }
            return { colours: colours.size, ...seen };
        }""",
        base64.b64encode(png).decode(),
    )
    assert stats["colours"] > 500, stats
    assert stats["green"] > 50 and stats["yellow"] > 50 and stats["red"] > 50, stats
