"""Real-looking bot thumbnails for dashboard tests: frames of the simulated LiveAvatar's talking head
(fakes/liveavatar/static/avatar-renderer.js), or the compositor's placeholder card while there is no avatar
picture (drawn by bot_page/js/media-bridge.js itself), scaled in a browser page to the 160-px JPEG data URL a
bot's heartbeat carries (media-bridge.js `thumbnail()`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Browser

from farm.browser_node import media_bridge_source

RENDERER = Path(__file__).resolve().parents[2] / "fakes" / "liveavatar" / "static" / "avatar-renderer.js"

GLUE = r"""
window.makeThumbnail = ({ name, caption, shirt, skin, speaking, listening, placeholder, room, width }) => {
  const renderer = new AvatarRenderer({ width: 640, height: 360, fps: 1, avatar: { name, shirt, skin } });
  renderer.canvas = document.createElement("canvas");
  renderer.canvas.width = 640;
  renderer.canvas.height = 360;
  renderer.g = renderer.canvas.getContext("2d");
  renderer.state = speaking ? "speaking" : listening ? "listening" : "idle";
  renderer.level = speaking ? 0.8 : 0;
  renderer.measureLevel = () => (speaking ? 0.25 : 0);
  renderer.caption = caption || "";
  if (placeholder) {
    // The bot's own compositor (bot_page/js/media-bridge.js) draws its placeholder card.
    const bridge = window.__avatarfarmBridge;
    bridge.configure({ professorName: name, roomName: room, status: placeholder });
    return new Promise((resolve) => setTimeout(() => resolve(bridge.thumbnail(width)), 120)); // one redraw
  }
  renderer.draw();
  const small = document.createElement("canvas");
  small.width = width;
  small.height = Math.round(360 * (width / 640));
  small.getContext("2d").drawImage(renderer.canvas, 0, 0, small.width, small.height);
  return small.toDataURL("image/jpeg", 0.7);
};
window.thumbnailsReady = true;
"""


@dataclass(frozen=True)
class Look:
    """How one avatar frame looks."""

    name: str
    caption: str = ""
    shirt: str = "#2f5d8a"
    skin: str = "#e0b48c"
    speaking: bool = False
    listening: bool = False
    placeholder: str | None = None
    """Draw the compositor's card with this status (e.g. "connecting…") instead of the avatar."""
    room: str = ""


async def avatar_thumbnails(browser: Browser, looks: list[Look], *, width: int = 160) -> list[str]:
    """One JPEG data URL per look, drawn by the simulated avatar's own renderer."""
    source = RENDERER.read_text(encoding="utf-8")
    page = await browser.new_page()
    try:
        await page.set_content("<!doctype html><title>thumbnails</title>")
        await page.add_script_tag(content=media_bridge_source())
        await page.evaluate("() => window.__avatarfarmBridge.ensureStarted()")
        await page.add_script_tag(content=source + "\n" + GLUE, type="module")
        await page.wait_for_function("window.thumbnailsReady === true")
        urls: list[str] = []
        for look in looks:
            url = await page.evaluate(
                "(look) => window.makeThumbnail(look)",
                {
                    "name": look.name,
                    "caption": look.caption,
                    "shirt": look.shirt,
                    "skin": look.skin,
                    "speaking": look.speaking,
                    "listening": look.listening,
                    "placeholder": look.placeholder,
                    "room": look.room,
                    "width": width,
                },
            )
            assert isinstance(url, str) and url.startswith("data:image/jpeg;base64,"), url[:40]
            urls.append(url)
        return urls
    finally:
        await page.close()
