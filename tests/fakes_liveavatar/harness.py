"""A test page on another origin (crossOriginIsolated, like the bot page) that loads an avatar SDK and records
everything it emits, plus helpers to measure the attached stream's picture and sound."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.support.servers import RunningServer, serve_app

ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}

HARNESS_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>avatar harness</title>IMPORT_MAP</head>
<body>
<video id="avatar" autoplay playsinline style="width:320px"></video>
<script type="module">
const params = new URLSearchParams(location.search);
const events = [];
window.avatarEvents = events;
window.harnessError = null;
try {
  const sdk = await import(params.get("sdk"));
  window.sdk = sdk;
  const record = (name, payload) => events.push({ name, payload: payload ?? null, t: performance.now() });
  window.harness = {
    async start(token, options) {
      const session = new sdk.LiveAvatarSession(token, options);
      window.session = session;
      const names = new Set([...Object.values(sdk.SessionEvent), ...Object.values(sdk.AgentEventsEnum)]);
      for (const name of names) session.on(name, (payload) => record(name, payload));
      session.voiceChat.on(sdk.VoiceChatEvent.STATE_CHANGED, (state) => record("voice_chat.state", state));
      const streamReady = new Promise((resolve) => session.once(sdk.SessionEvent.SESSION_STREAM_READY, resolve));
      await session.start();
      await streamReady;
      session.attach(document.getElementById("avatar"));
      return session.sessionId;
    },
    now: () => performance.now(),
    // Mean luma and a coarse fingerprint of the video element's current frame.
    frame() {
      const video = document.getElementById("avatar");
      const canvas = document.createElement("canvas");
      canvas.width = 64;
      canvas.height = 36;
      const g = canvas.getContext("2d", { willReadFrequently: true });
      g.drawImage(video, 0, 0, 64, 36);
      const pixels = g.getImageData(0, 0, 64, 36).data;
      let sum = 0;
      const fingerprint = [];
      for (let i = 0; i < pixels.length; i += 4) {
        const luma = 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2];
        sum += luma;
        fingerprint.push(Math.round(luma));
      }
      return { mean: sum / (pixels.length / 4), fingerprint, width: video.videoWidth, height: video.videoHeight };
    },
    // Peak RMS of the attached stream's audio over `ms` milliseconds.
    async audioPeak(ms) {
      const video = document.getElementById("avatar");
      const context = new AudioContext();
      const source = context.createMediaStreamSource(new MediaStream(video.srcObject.getAudioTracks()));
      const analyser = context.createAnalyser();
      analyser.fftSize = 1024;
      source.connect(analyser);
      const data = new Float32Array(analyser.fftSize);
      let peak = 0;
      const end = performance.now() + ms;
      while (performance.now() < end) {
        analyser.getFloatTimeDomainData(data);
        let sum = 0;
        for (const value of data) sum += value * value;
        peak = Math.max(peak, Math.sqrt(sum / data.length));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await context.close();
      return peak;
    },
  };
} catch (error) {
  window.harnessError = String(error && error.stack || error);
}
window.harnessReady = true;
</script>
</body></html>
"""


@asynccontextmanager
async def harness_server(
    import_map: dict[str, str] | None = None, routes: list[Route] | None = None
) -> AsyncIterator[RunningServer]:
    """Serves /harness.html from its own origin, with COOP/COEP so the page is crossOriginIsolated.

    `import_map` maps bare module names for the page (e.g. {"events": "/vendor/events.mjs"}); `routes` adds
    more endpoints to the same origin (e.g. vendored SDK files).
    """
    map_tag = ""
    if import_map:
        map_tag = f'<script type="importmap">{json.dumps({"imports": import_map})}</script>'
    html = HARNESS_HTML.replace("IMPORT_MAP", map_tag)

    async def harness(request: Request) -> Response:
        return HTMLResponse(html, headers=ISOLATION_HEADERS)

    app = Starlette(routes=[Route("/harness.html", harness), *(routes or [])])
    async with serve_app(app) as server:
        yield server


def events_named(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [event for event in events if event["name"] == name]
