"""Real-looking bot thumbnails for dashboard tests: frames of the simulated LiveAvatar's talking head (drawn by
fakes/liveavatar/talking_head.py, the picture its LiveKit participant publishes), or the compositor's
placeholder card while there is no avatar picture (drawn by bot_page/js/media-bridge.js itself), scaled in a
browser page to the 160-px JPEG data URL a bot's heartbeat carries (media-bridge.js `thumbnail()`)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from playwright.async_api import Browser

from fakes.liveavatar.talking_head import talking_head
from farm.browsers.browser_node import media_bridge_source

FRAME_WIDTH, FRAME_HEIGHT = 640, 360

GLUE = r"""
window.makeThumbnail = ({ i420, name, caption, placeholder, room, width }) => {
  if (placeholder) {
    // The bot's own compositor (bot_page/js/media-bridge.js) draws its placeholder card.
    const bridge = window.__avatarfarmBridge;
    bridge.configure({ professorName: name, roomName: room, status: placeholder });
    return new Promise((resolve) => setTimeout(() => resolve(bridge.thumbnail(width)), 120)); // one redraw
  }
  const w = 640, h = 360, bytes = Uint8Array.from(atob(i420), (c) => c.charCodeAt(0));
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext("2d");
  const image = g.createImageData(w, h);
  const uOffset = w * h, vOffset = uOffset + (w / 2) * (h / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const Y = bytes[y * w + x], c = (y >> 1) * (w / 2) + (x >> 1);
      const U = bytes[uOffset + c] - 128, V = bytes[vOffset + c] - 128;
      const i = (y * w + x) * 4;
      image.data[i] = Y + 1.402 * V;
      image.data[i + 1] = Y - 0.344 * U - 0.714 * V;
      image.data[i + 2] = Y + 1.772 * U;
      image.data[i + 3] = 255;
    }
  }
  g.putImageData(image, 0, 0);
  if (caption) {
    g.fillStyle = "rgba(0,0,0,0.55)";
    g.fillRect(0, h - 48, w, 48);
    g.fillStyle = "#fff";
    g.font = "24px sans-serif";
    g.fillText(caption, 16, h - 16);
  }
  const small = document.createElement("canvas");
  small.width = width;
  small.height = Math.round(h * (width / w));
  small.getContext("2d").drawImage(canvas, 0, 0, small.width, small.height);
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
    """One JPEG data URL per look, drawn by the simulated avatar's own talking head."""
    page = await browser.new_page()
    try:
        await page.set_content("<!doctype html><title>thumbnails</title>")
        await page.add_script_tag(content=media_bridge_source())
        await page.evaluate("() => window.__avatarfarmBridge.ensureStarted()")
        await page.add_script_tag(content=GLUE)
        await page.wait_for_function("window.thumbnailsReady === true")
        urls: list[str] = []
        for look in looks:
            url = await page.evaluate(
                "(look) => window.makeThumbnail(look)",
                {
                    "i420": None if look.placeholder else _frame(look),
                    "name": look.name,
                    "caption": look.caption,
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


def _frame(look: Look) -> str:
    """One I420 frame of the talking head (mouth open while speaking), base64."""
    head = talking_head(FRAME_WIDTH, FRAME_HEIGHT, look.skin, look.shirt)
    return base64.b64encode(head.frame(t=0.7, loudness=0.8 if look.speaking else 0.0)).decode("ascii")
