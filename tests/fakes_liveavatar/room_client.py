"""A LiveKit client of a session's room, as the web SDK's page is one (livekit's Python SDK instead of
livekit-client): it joins as `client`, sends agent-control commands, records the agent-response events with their
arrival times, listens to the avatar's audio track (loudness per 10 ms frame) and speaks into a microphone track.
It tests the service's conversation without a browser."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from livekit import rtc

from fakes.liveavatar.agent_protocol import AVATAR_IDENTITY, COMMAND_TOPIC, EVENT_TOPIC

MIC_RATE = 16_000
MIC_CHUNK = MIC_RATE // 10  # 100 ms handed to the source at a time
# `speak` queues a whole utterance at once; LiveKit's native source plays it out in real time on its own thread,
# whatever this process's event loop is doing. With a queue of 200 ms, then 1 s, a test process starved for longer
# (a loaded machine) left gaps in the words sent, and the fake's recogniser heard "why is that it is it is of x
# squared" for "what is the derivative of x squared" (two fresh-clone runs, the second beside a busy core).
MIC_QUEUE_MS = 30_000
LOUD_RMS = 0.01  # of full scale: espeak-ng's speech is far above, the silent track far below


@dataclass
class Heard:
    """One 10 ms frame of the avatar's audio track: where it lies on the track's own clock (seconds after the
    first frame) and how loud it was (RMS, 0..1)."""

    offset: float
    rms: float


@dataclass
class RoomClient:
    room: rtc.Room
    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    heard: list[Heard] = field(default_factory=list)
    # When the track's first frame played, on the event loop's clock: the earliest that any frame's arrival less
    # its offset allows. The receiver plays out a frame every 10 ms and queues them for this process, so a starved
    # test process reads a late burst; timing each frame by its arrival put audio played before an interrupt
    # after it (a fresh-clone run: 0.2 s "heard" after an interrupt that had dropped it).
    _first_played: float = math.inf
    disconnected: bool = False
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _microphone: rtc.AudioSource | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    # -- what arrives --------------------------------------------------------------------------------------------

    def _on_data(self, packet: rtc.DataPacket) -> None:
        if packet.topic != EVENT_TOPIC:
            return
        self.received.append((asyncio.get_running_loop().time(), json.loads(packet.data.decode())))
        self._changed.set()

    def _on_disconnected(self, *_: Any) -> None:
        self.disconnected = True
        self._changed.set()

    def _on_track_published(self, publication: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant) -> None:
        if participant.identity == AVATAR_IDENTITY and publication.kind == rtc.TrackKind.KIND_AUDIO:
            publication.set_subscribed(True)

    def _on_track_subscribed(
        self, track: rtc.Track, publication: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        if participant.identity == AVATAR_IDENTITY and track.kind == rtc.TrackKind.KIND_AUDIO:
            task = asyncio.create_task(self._listen(track))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _listen(self, track: rtc.Track) -> None:
        loop = asyncio.get_running_loop()
        stream = rtc.AudioStream(track, sample_rate=48_000, num_channels=1, frame_size_ms=10)
        offset = 0.0
        try:
            async for event in stream:
                self._first_played = min(self._first_played, loop.time() - offset)
                samples = np.frombuffer(bytes(event.frame.data), np.int16).astype(np.float32) / 32768.0
                rms = float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0
                self.heard.append(Heard(offset, rms))
                offset += event.frame.samples_per_channel / event.frame.sample_rate
        finally:
            await stream.aclose()

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        return [event for _, event in self.received if event_type is None or event["event_type"] == event_type]

    def timed(self, event_type: str) -> list[tuple[float, dict[str, Any]]]:
        return [(at, event) for at, event in self.received if event["event_type"] == event_type]

    def loud_between(self, start: float, end: float) -> float:
        """Seconds of the avatar's audio louder than LOUD_RMS that played between `start` and `end` (loop time)."""
        return sum(
            0.01 for frame in self.heard if start <= self._first_played + frame.offset <= end and frame.rms > LOUD_RMS
        )

    async def wait(self, condition: Callable[[], bool], within: float = 20.0) -> None:
        async def loop() -> None:
            while not condition():
                self._changed.clear()
                if self.disconnected and not condition():
                    raise AssertionError("left the room before the condition held")
                await self._changed.wait()

        await asyncio.wait_for(loop(), within)

    async def wait_event(self, event_type: str, count: int = 1, within: float = 20.0) -> list[dict[str, Any]]:
        await self.wait(lambda: len(self.events(event_type)) >= count, within)
        return self.events(event_type)

    # -- what the client sends -----------------------------------------------------------------------------------

    async def command(self, event_type: str, **fields: Any) -> str:
        """One agent-control command as the SDK publishes it; returns its event_id."""
        event_id = str(uuid.uuid4())
        payload = json.dumps({"event_id": event_id, "event_type": event_type, **fields}).encode()
        await self.room.local_participant.publish_data(payload, reliable=True, topic=COMMAND_TOPIC)
        return event_id

    async def open_microphone(self) -> None:
        """Publish a microphone track, as the SDK's voice chat does (silent until `speak`)."""
        self._microphone = rtc.AudioSource(MIC_RATE, 1, queue_size_ms=MIC_QUEUE_MS)
        track = rtc.LocalAudioTrack.create_audio_track("microphone", self._microphone)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        await self.room.local_participant.publish_track(track, options)

    async def speak(self, pcm16k: bytes, silence_after_s: float = 1.5) -> None:
        """`pcm16k` (16 kHz mono int16) into the microphone, then silence so the utterance ends; returns once it
        has all been played out, in real time."""
        assert self._microphone is not None, "open_microphone() first"
        samples = np.frombuffer(pcm16k, np.int16)
        utterance = np.concatenate([samples, np.zeros(int(MIC_RATE * silence_after_s), np.int16)])
        assert utterance.size * 1000 // MIC_RATE < MIC_QUEUE_MS, "an utterance longer than the microphone's queue"
        for offset in range(0, utterance.size, MIC_CHUNK):
            chunk = utterance[offset : offset + MIC_CHUNK]
            await self._microphone.capture_frame(rtc.AudioFrame(chunk.tobytes(), MIC_RATE, 1, chunk.size))
        await self._microphone.wait_for_playout()

    async def _close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.room.disconnect()
        if self._microphone is not None:
            await self._microphone.aclose()


@contextlib.asynccontextmanager
async def room_client(started: dict[str, Any]) -> AsyncIterator[RoomClient]:
    """Join the room of a started session (the start response's livekit_url and livekit_client_token)."""
    room = rtc.Room()
    client = RoomClient(room)
    room.on("data_received", client._on_data)
    room.on("disconnected", client._on_disconnected)
    room.on("track_published", client._on_track_published)
    room.on("track_subscribed", client._on_track_subscribed)
    await room.connect(started["livekit_url"], started["livekit_client_token"], rtc.RoomOptions(auto_subscribe=False))
    for participant in room.remote_participants.values():
        for publication in participant.track_publications.values():
            client._on_track_published(publication, participant)
    try:
        yield client
    finally:
        await client._close()
