"""The page's reporter on its own, in headless Chromium: heartbeats keep coming when the media stats they carry
do not (a starved or stuck peer connection can keep WebRTC's getStats pending), with the last stats it had."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright

from tests.support.browsers import launch, launch_options

pytestmark = pytest.mark.browser

ORIGIN = "http://127.0.0.1:9"
REPORTER = Path(__file__).resolve().parents[2] / "bot_page" / "js" / "reporter.js"

HEARTBEATS_WITH_STUCK_STATS = """async () => {
  const { Reporter } = await import('/js/reporter.js');
  const reports = [];
  window.avatarfarmReport = (report) => { reports.push(report); };
  let calls = 0;
  const bridge = {
    // The first stats answer; every later one stays pending, as a stuck getStats would.
    stats: () => (calls++ === 0 ? Promise.resolve({ level_in: 0.5 }) : new Promise(() => {})),
    thumbnail: () => 'data:image/jpeg;base64,',
  };
  const reporter = new Reporter(bridge, { heartbeatMs: 200, thumbnailMs: 60000 });
  reporter.start(() => ({ state: 'live' }));
  await new Promise((resolve) => setTimeout(resolve, 3500));
  reporter.stop();
  return reports.filter((r) => r.type === 'heartbeat').map((r) => r.stats);
}"""


async def test_heartbeats_go_on_when_the_media_stats_hang() -> None:
    async with async_playwright() as playwright:
        browser = await launch(playwright, **launch_options())
        page = await browser.new_page()

        async def serve(route: Any) -> None:
            if route.request.url.endswith("/js/reporter.js"):
                await route.fulfill(body=REPORTER.read_text(encoding="utf-8"), content_type="text/javascript")
            else:
                await route.fulfill(body="<!doctype html><title>reporter</title>", content_type="text/html")

        await page.route(f"{ORIGIN}/**", serve)
        await page.goto(f"{ORIGIN}/page")
        beats: list[dict[str, Any]] = await page.evaluate(HEARTBEATS_WITH_STUCK_STATS)
        await browser.close()
    # 17 heartbeats fall due in 3.5 s; those after the first each wait 1 s at most for stats that never come.
    assert len(beats) >= 5, beats
    assert all(beat == {"level_in": 0.5, "state": "live"} for beat in beats), beats
