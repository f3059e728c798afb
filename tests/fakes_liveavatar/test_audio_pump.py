"""The fake avatar's speech pump: an interrupt (`audio.stop`) drops what is buffered, including the rest of the
chunk the pump is sending at that moment. Before, the pump finished that chunk (up to 0.2 s of speech) after the
source's queue was cleared, and a fresh-clone run heard 0.21 s of the interrupted sentence after the interrupt
(tests/fakes_liveavatar/test_conversation.py)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import numpy as np

from fakes.liveavatar.avatar_room import AUDIO_FRAME, AUDIO_RATE, AvatarRoom, RoomFaults
from tests.support.polling import until


class HeldSource:
    """An audio source whose queue is full: each frame waits until the test lets it through."""

    def __init__(self) -> None:
        self.frames: list[Any] = []
        self.cleared = 0
        self.gate = asyncio.Semaphore(0)

    async def capture_frame(self, frame: Any) -> None:
        await self.gate.acquire()
        self.frames.append(frame)

    def clear_queue(self) -> None:
        self.cleared += 1


async def test_an_interrupt_drops_the_rest_of_the_chunk_being_sent() -> None:
    session = SimpleNamespace(id="s1", resolution=(64, 36), avatar=SimpleNamespace(skin="#c68642", shirt="#2a4d69"))
    room = AvatarRoom(session, None, None, None, fps=25, faults=RoomFaults())  # type: ignore[arg-type]
    source = HeldSource()
    room.audio_source = source  # type: ignore[assignment]
    room.avatar_published = True
    await room.send_json({"type": "audio.begin", "sample_rate": AUDIO_RATE})
    speech = (np.sin(np.arange(20 * AUDIO_FRAME) / 8) * 12000).astype(np.int16)  # 20 of the pump's frames
    await room.send_bytes(speech.tobytes())
    pump = asyncio.create_task(room._pump_audio())
    try:
        for _ in range(3):
            source.gate.release()
        await until(lambda: len(source.frames) >= 3, 5, "three frames of the sentence out")
        await room.send_json({"type": "audio.stop"})
        # The next utterance (a quiet marker) comes after whatever the pump still sends of the dropped one.
        await room.send_bytes(np.full(AUDIO_FRAME, 7, np.int16).tobytes())
        for _ in range(30):
            source.gate.release()
        await until(lambda: any(_is_marker(frame) for frame in source.frames), 5, "the next utterance out")
    finally:
        pump.cancel()
    assert source.cleared == 1
    dropped_sent = next(i for i, frame in enumerate(source.frames) if _is_marker(frame))
    # The frame already waiting at the source when the interrupt came may still go; nothing after it.
    assert dropped_sent <= 4, f"{dropped_sent} of {speech.size // AUDIO_FRAME} frames of the dropped sentence went out"


def _is_marker(frame: Any) -> bool:
    return bool((np.frombuffer(bytes(frame.data), np.int16) == 7).all())
