"""The room runner feeds the talk meter: the page's `avatar.talking` and `student.speaking` signals become
talk spans, which the session report sums (scripted browser node, no Chromium)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.support.scripted_pages import Rig


async def test_speaking_signals_become_talk_spans(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory()
    bot = await rig.live_bot()
    for kind, detail in (
        ("student.speaking", {"speaking": True}),
        ("student.speaking", {"speaking": False}),
        ("avatar.talking", {"talking": True}),
        ("avatar.talking", {"talking": False}),
    ):
        bot.report({"type": "event", "kind": kind, "detail": detail})
    for _ in range(200):
        spans = await rig.repository.talk_time.spans(rig.room_id)
        if len(spans) == 2 and all(s.ended_at is not None for s in spans):
            break
        await asyncio.sleep(0.05)
    assert [s.role for s in spans] == ["student", "avatar"]
    assert all(s.ended_at is not None for s in spans)
    bot.heartbeat()
