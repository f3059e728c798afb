"""The real vendor SDKs in the bot page, as far as they run offline: which SDK loads is the only difference
between sim and live mode, and each real SDK fails at the network with a clear reason."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlparse

import pytest

from farm.settings import Mode
from tests.bot_page.harness import running_stack

pytestmark = pytest.mark.browser


async def test_real_zoom_component_view_loads_from_our_assets_and_fails_join_clearly(tmp_path: Path) -> None:
    async with running_stack(tmp_path, zoom_mode=Mode.live) as stack:
        number = await stack.meeting()
        bot = await stack.launch_bot(number)
        failed = await bot.wait_state("failed", within=90)
        assert failed["reason"] == "zoom_unreachable", failed
        assert "reach Zoom" in failed["reason_text"] and "connection error" in failed["reason_text"]
        assert bot.states() == ["starting", "joining", "failed"]
        assert bot.events("avatar.wanted") == []  # no avatar is ever asked for outside a breakout room
        ours = urlparse(stack.api_url).netloc
        assets = [u for u in bot.requests if "/vendor/zoom/" in u]
        assert any(u.endswith("zoom-meeting-embedded-ES5.min.js") for u in assets)
        assert all(urlparse(u).netloc == ours for u in assets)
        foreign = {urlparse(u).netloc for u in bot.requests if u.startswith("http")} - {
            ours,
            urlparse(stack.liveavatar_url).netloc,
        }
        # Only Zoom's own signalling endpoint is tried (and unreachable here); no asset comes from a CDN.
        assert foreign <= {"zoom.us"}, foreign
        assert await bot.call("() => crossOriginIsolated") is True


async def test_the_real_liveavatar_sdk_joins_the_fakes_livekit_room_from_our_own_assets(tmp_path: Path) -> None:
    """The same SDK files in both modes: LiveAvatar's REST start, then its LiveKit room, on loopback only."""
    async with running_stack(tmp_path, liveavatar_mode=Mode.live) as stack:
        await stack.liveavatar_admin.delete("/admin/calls")
        livekit = (await stack.liveavatar_admin.get("/admin/livekit")).json()["data"]
        number = await stack.meeting(breakout_options={"isAutoJoinRoom": True})
        await stack.zoom.add_virtual(number, name="Alan")
        bot = await stack.launch_bot(number)
        await bot.wait_state("in_main_session")
        for name in ("Prof. Ada (AI) · Room 1", "Alan"):
            await stack.zoom.post(f"/fake/meetings/{number}/breakout/assign", name=name, room="Room 1")
        await stack.zoom.post(f"/fake/meetings/{number}/breakout/open")
        await bot.wait_state("live", within=90)
        calls = (await stack.liveavatar_admin.get("/admin/calls", params={"path": "/v1/sessions/start"})).json()
        starts = [c for c in calls["data"] if c["method"] == "POST"]
        assert len(starts) == 1 and starts[0]["status"] == 201 and starts[0]["auth"] == "bearer"
        sdk = [u for u in bot.requests if "liveavatar-web-sdk" in u]
        assert sdk and all(urlparse(u).netloc == urlparse(stack.api_url).netloc for u in sdk)
        assert any(u.endswith("/vendor/shims/events.mjs") for u in bot.requests)
        # The media came through the fake's LiveKit server, on loopback.
        assert urlparse(livekit["url"]).hostname == "127.0.0.1"
        for _ in range(100):  # the compositor draws the avatar's decoded frames
            if (await bot.bridge_stats())["avatar_playing"]:
                break
            await asyncio.sleep(0.2)
        assert (await bot.bridge_stats())["avatar_playing"] is True
