"""One session's LiveKit room, as LiveAvatar runs it: the avatar (`heygen`) and the agent
(`liveavatar-agent-<session_id>`) join it through LiveKit's Python SDK; the web SDK's page joins as the client.

* Both join at start, as LiveAvatar's do (the SDK waits for them after its own connect). The agent reads the
  page's commands (data on topic `agent-control`), sends the session's events (topic `agent-response`), and
  subscribes to the client's microphone, whose utterances (voice_activity.py) go to speech recognition through
  the SessionAgent. The avatar publishes a video track (talking_head.py, at the session's resolution and the
  configured frame rate, in the session's codec, no simulcast; with `stamp_frames`, each frame carries its
  wall-clock capture time, frame_stamp.py) and an audio track (the SessionAgent's espeak-ng
  speech, resampled to 48 kHz); the mouth follows the loudness of what it plays. Frames are drawn only once
  someone subscribes to the video, so a session whose page never joins costs next to nothing.
* LiveKit announces a participant that publishes nothing (the client, at first) in batches every 3 s; so the
  agent may see the client join up to 3 s after it did. The opening text is spoken from then on.
* For the SessionAgent this room is its MediaChannel: its events go out as data packets, its speech on the
  avatar's audio track.
* The client leaving the room is reported to the registry (which ends the session after
  `client_absence_timeout_s`); the session ending sends `session.stopped` first and then deletes the room, which
  disconnects the page.

Faults (admin_api.py): the avatar's tracks unpublished and republished, the avatar participant killed (and
optionally rejoining), both participants joining late, and the client token refused the right to publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from livekit import api, rtc

from fakes.liveavatar.agent_protocol import AGENT_IDENTITY_PREFIX, AVATAR_IDENTITY, COMMAND_TOPIC, EVENT_TOPIC
from fakes.liveavatar.conversation import SessionAgent
from fakes.liveavatar.livekit_server import LiveKitEndpoint
from fakes.liveavatar.sessions import AvatarSession, SessionRegistry
from fakes.liveavatar.talking_head import talking_head
from fakes.liveavatar.voice_activity import SAMPLE_RATE as STT_RATE
from fakes.liveavatar.voice_activity import VoiceActivityDetector

log = logging.getLogger(__name__)

CLIENT_IDENTITY = "client"
AUDIO_RATE = 48_000
# 40 ms frames out and 100 ms frames in: each frame is a wake-up of the loop the fake shares with the farm in the
# tests (a LiveKit FFI event or request), and at 10 and 20 ms they were a steady load on it for every avatar.
# The mouth moves at the video's rate (15 fps by default), slower than either.
AUDIO_FRAME = AUDIO_RATE // 25
LISTEN_FRAME_MS = 100
TOKEN_TTL = timedelta(hours=2)
STOPPED_GRACE_S = 0.5  # between sending session.stopped and deleting the room
CLIENT_ANNOUNCE_WAIT_S = 4.0  # LiveKit announces a participant that publishes nothing within 3 s
ABANDONED_JOIN_WAIT_S = 20.0  # a loopback connect answers in well under a second; its own timeout is 10 s


@dataclass(frozen=True)
class RoomFaults:
    """Faults a session is started with (taken from admin's armed faults at /v1/sessions/start)."""

    join_delay_s: float = 0.0
    refuse_microphone: bool = False


def room_name(session_id: str) -> str:
    return f"liveavatar-{session_id}"


def participant_token(
    endpoint: LiveKitEndpoint, room: str, identity: str, *, can_publish: bool, name: str | None = None
) -> str:
    grants = api.VideoGrants(
        room_join=True, room=room, can_publish=can_publish, can_subscribe=True, can_publish_data=True
    )
    token = api.AccessToken(endpoint.api_key, endpoint.api_secret).with_identity(identity).with_grants(grants)
    return token.with_name(name or identity).with_ttl(TOKEN_TTL).to_jwt()


async def _leave_once_connected(room: rtc.Room, connecting: asyncio.Future[None]) -> None:
    try:
        await connecting
    except Exception as exc:  # nothing to leave here; the server may still hold it a while (see shutdown)
        log.info("an abandoned join failed: %s", exc)
        return
    try:
        await room.disconnect()
    except Exception:
        log.warning("an abandoned join could not leave its room", exc_info=True)


class AvatarRoom:
    """The room of one live session. `open()` starts joining; `close()` (idempotent) deletes the room."""

    def __init__(
        self,
        session: AvatarSession,
        agent: SessionAgent,
        registry: SessionRegistry,
        endpoint: LiveKitEndpoint,
        *,
        fps: float,
        faults: RoomFaults,
        stamp_frames: bool = False,
    ) -> None:
        self.session = session
        self.agent = agent
        self.registry = registry
        self.endpoint = endpoint
        self.fps = fps
        self.faults = faults
        self.stamp_frames = stamp_frames
        self.name = room_name(session.id)
        self.agent_identity = AGENT_IDENTITY_PREFIX + session.id
        width, height = session.resolution
        self.head = talking_head(width, height, session.avatar.skin, session.avatar.shirt)
        self.video_source = rtc.VideoSource(width, height)
        self.audio_source = rtc.AudioSource(AUDIO_RATE, 1, queue_size_ms=200)
        self.agent_room: rtc.Room | None = None
        self.avatar_room: rtc.Room | None = None
        self.client_present = False
        self.client_joined_ever = False
        self.avatar_published = False
        self.mic_subscribed = False
        self.video_subscribed = False
        self.frames_sent = 0
        # Loop times of the current utterance's first audio frame out and of the last interrupt (audio.stop):
        # between them is all of the utterance a listener can have heard (tests/fakes_liveavatar).
        self.speech_out_at: float | None = None
        self.speech_stopped_at: float | None = None
        self._closed = False
        self._client_seen = asyncio.Event()
        self._video_wanted = asyncio.Event()  # the avatar's video is published and someone subscribed to it
        self._loudness = 0.0
        self._speech_rate = 22_050
        self._audio: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
        self._audio_generation = 0  # moved on by audio.stop: the pump drops the rest of the chunk it is sending
        self._commands: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._tracks: list[rtc.LocalTrackPublication] = []
        self._avatar_task: asyncio.Task[None] | None = None
        self._listen_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._abandoned_joins: set[asyncio.Future[None]] = set()

    # -- tokens and state -------------------------------------------------------------------------------------

    def client_token(self) -> str:
        return participant_token(
            self.endpoint, self.name, CLIENT_IDENTITY, can_publish=not self.faults.refuse_microphone, name="user"
        )

    def describe(self) -> dict[str, Any]:
        return {
            "room": self.name,
            "agent_joined": self.agent_room is not None and self.agent_room.isconnected(),
            "avatar_joined": self.avatar_room is not None and self.avatar_room.isconnected(),
            "avatar_published": self.avatar_published,
            "video_subscribed": self.video_subscribed,
            "client_present": self.client_present,
            "microphone_subscribed": self.mic_subscribed,
            "frames_sent": self.frames_sent,
            "fps": self.fps,
            "faults": {"join_delay_s": self.faults.join_delay_s, "refuse_microphone": self.faults.refuse_microphone},
        }

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=f"{name}-{self.session.id[:8]}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and not self._closed:
            log.error("avatar room task %s failed", task.get_name(), exc_info=task.exception())

    # -- joining ----------------------------------------------------------------------------------------------

    def open(self) -> None:
        self._spawn(self._join_agent(), "agent-join")
        self._avatar_task = self._spawn(self._join_avatar(self.faults.join_delay_s), "avatar-join")
        self._spawn(self._run_commands(), "commands")
        self._spawn(self._pump_audio(), "audio")

    async def _join_agent(self) -> None:
        if self.faults.join_delay_s:
            await asyncio.sleep(self.faults.join_delay_s)
        room = rtc.Room()
        room.on("participant_connected", self._on_participant_connected)
        room.on("participant_disconnected", self._on_participant_disconnected)
        room.on("track_published", self._on_track_published)
        room.on("track_subscribed", self._on_track_subscribed)
        room.on("track_unsubscribed", self._on_track_unsubscribed)
        room.on("data_received", self._on_data)
        token = participant_token(self.endpoint, self.name, self.agent_identity, can_publish=False)
        self.agent_room = room
        await self._connect(room, token)
        for participant in room.remote_participants.values():
            self._on_participant_connected(participant)
            for publication in participant.track_publications.values():
                self._on_track_published(publication, participant)

    async def _connect(self, room: rtc.Room, token: str) -> None:
        """`room.connect()`, never cancelled half-way.

        A connect whose Python side is cancelled leaves livekit's FFI waiting for a request that never comes; 15 s
        later it panics, and the SDK answers every panic by SIGTERMing its own process (livekit 1.2.1) — the whole
        fake, or the test worker that hosts it. So a join cancelled meanwhile (the session ended, the fake stops)
        lets the connect finish in the background and then leaves the room; `shutdown` waits for those."""
        options = rtc.RoomOptions(auto_subscribe=False)
        connecting = asyncio.ensure_future(room.connect(self.endpoint.url, token, options))
        try:
            await asyncio.shield(connecting)
        except asyncio.CancelledError:
            leaving = asyncio.ensure_future(_leave_once_connected(room, connecting))
            self._abandoned_joins.add(leaving)
            leaving.add_done_callback(self._abandoned_joins.discard)
            raise

    def _on_participant_connected(self, participant: rtc.RemoteParticipant) -> None:
        if participant.identity != CLIENT_IDENTITY or self._closed:
            return
        self.client_present = True
        first = not self.client_joined_ever
        self._client_seen.set()
        self.client_joined_ever = True
        self.registry.client_joined(self.session)
        if first:
            self._spawn(self.agent.attach(self), "attach")

    def _on_participant_disconnected(self, participant: rtc.RemoteParticipant) -> None:
        if participant.identity != CLIENT_IDENTITY or self._closed:
            return
        self.client_present = False
        self.registry.client_left(self.session)

    async def _join_avatar(self, delay_s: float) -> None:
        if delay_s:
            await asyncio.sleep(delay_s)
        room = rtc.Room()
        room.on("local_track_subscribed", self._on_local_track_subscribed)
        token = participant_token(self.endpoint, self.name, AVATAR_IDENTITY, can_publish=True)
        await self._connect(room, token)
        self.avatar_room = room
        self._set_unwatched()
        await self._publish()
        self._spawn(self._paint(room), "video")

    def _set_unwatched(self) -> None:
        self.video_subscribed = False
        self._video_wanted.clear()

    def _on_local_track_subscribed(self, track: rtc.Track) -> None:
        if track.kind == rtc.TrackKind.KIND_VIDEO:
            self.video_subscribed = True
            self._video_wanted.set()

    async def _publish(self) -> None:
        room = self.avatar_room
        if room is None:
            return
        width, height = self.session.resolution
        codec = rtc.VideoCodec.H264 if self.session.encoding == "H264" else rtc.VideoCodec.VP8
        bitrate = int(min(4_000_000, max(150_000, width * height * self.fps * 0.08)))
        video = rtc.LocalVideoTrack.create_video_track("avatar-video", self.video_source)
        audio = rtc.LocalAudioTrack.create_audio_track("avatar-audio", self.audio_source)
        video_options = rtc.TrackPublishOptions(
            source=rtc.TrackSource.SOURCE_CAMERA,
            simulcast=False,
            video_codec=codec,
            video_encoding=rtc.VideoEncoding(max_framerate=self.fps, max_bitrate=bitrate),
            # The session's quality is its resolution: under load, send fewer frames rather than smaller ones.
            # (the public IntEnum carries the protobuf's values; its stubs only accept the protobuf's type)
            degradation_preference=rtc.DegradationPreference.MAINTAIN_RESOLUTION,  # type: ignore[arg-type]
        )
        audio_options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        self._tracks = [
            await room.local_participant.publish_track(video, video_options),
            await room.local_participant.publish_track(audio, audio_options),
        ]
        self.avatar_published = True

    async def _unpublish(self) -> None:
        room, tracks, self._tracks = self.avatar_room, self._tracks, []
        self.avatar_published = False
        if room is None:
            return
        for publication in tracks:
            with contextlib.suppress(Exception):
                await room.local_participant.unpublish_track(publication.sid)

    # -- the avatar's media -----------------------------------------------------------------------------------

    async def _paint(self, room: rtc.Room) -> None:
        """Frames at `fps` while this avatar participant is in the room and its video has a subscriber."""
        loop = asyncio.get_running_loop()
        period = 1.0 / self.fps
        start = next_at = loop.time()
        width, height = self.session.resolution
        while self.avatar_room is room and not self._closed:
            if not self._video_wanted.is_set():
                await self._video_wanted.wait()  # nobody watches: no wake-ups at all
                next_at = loop.time()
                continue
            now = loop.time()
            stamp = int(time.time() * 1000) if self.stamp_frames else None
            data = self.head.frame(now - start, self._loudness, stamp)
            self.video_source.capture_frame(rtc.VideoFrame(width, height, rtc.VideoBufferType.I420, data))
            self.frames_sent += 1
            next_at = max(next_at + period, now)  # behind (a busy machine): carry on from now, no burst
            await asyncio.sleep(next_at - now)

    async def _pump_audio(self) -> None:
        """The agent's speech into the avatar's audio track, paced by the source's small queue."""
        while True:
            rate, pcm = await self._audio.get()
            generation = self._audio_generation
            samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], np.int16).astype(np.float32)
            if rate != AUDIO_RATE and samples.size:
                positions = np.arange(0, samples.size, rate / AUDIO_RATE)
                samples = np.interp(positions, np.arange(samples.size), samples).astype(np.float32)
            pcm48 = np.clip(samples, -32768, 32767).astype(np.int16)
            for offset in range(0, pcm48.size, AUDIO_FRAME):
                if generation != self._audio_generation:
                    break  # dropped (an interrupt) while this chunk was going out: none of the rest plays
                chunk = pcm48[offset : offset + AUDIO_FRAME]
                if chunk.size < AUDIO_FRAME:
                    chunk = np.pad(chunk, (0, AUDIO_FRAME - chunk.size))
                rms = float(np.sqrt(np.mean((chunk.astype(np.float32) / 32768.0) ** 2)))
                self._loudness = min(1.0, rms / 0.12)
                if self.avatar_published:
                    frame = rtc.AudioFrame(chunk.tobytes(), AUDIO_RATE, 1, AUDIO_FRAME)
                    if self.speech_out_at is None:
                        self.speech_out_at = asyncio.get_running_loop().time()
                    await self.audio_source.capture_frame(frame)
                else:  # nobody to play it to: let it pass in real time
                    await asyncio.sleep(AUDIO_FRAME / AUDIO_RATE)
            if self._audio.empty():
                self._loudness = 0.0

    # -- MediaChannel (what SessionAgent talks to) ------------------------------------------------------------

    async def send_json(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "agent-response":
            await self._publish_event(message["data"])
        elif kind == "audio.begin":
            self._speech_rate = int(message.get("sample_rate") or self._speech_rate)
            self.speech_out_at = None
        elif kind == "audio.stop":
            self.speech_stopped_at = asyncio.get_running_loop().time()
            self._audio_generation += 1
            while not self._audio.empty():
                self._audio.get_nowait()
            self.audio_source.clear_queue()
            self._loudness = 0.0

    async def send_bytes(self, data: bytes) -> None:
        await self._audio.put((self._speech_rate, data))

    async def close(self, code: int, reason: str) -> None:
        await self.shutdown(delete_room=True)

    async def _publish_event(self, event: dict[str, Any]) -> None:
        room = self.agent_room
        if room is None or not room.isconnected():
            return
        payload = json.dumps(event).encode()
        await room.local_participant.publish_data(payload, reliable=True, topic=EVENT_TOPIC)

    # -- the agent's ears ------------------------------------------------------------------------------------

    def _on_data(self, packet: rtc.DataPacket) -> None:
        if packet.topic != COMMAND_TOPIC:
            return
        # (A client not yet announced to the agent, see above, comes without a participant.)
        participant = packet.participant
        if participant is not None and participant.identity != CLIENT_IDENTITY:
            return
        try:
            command = json.loads(packet.data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return
        if isinstance(command, dict):
            self._commands.put_nowait(command)

    async def _run_commands(self) -> None:
        while True:
            command = await self._commands.get()
            if not self._client_seen.is_set():
                # Events sent while the agent has not yet been told of the client (up to 3 s, see above) are lost
                # on the way to the page (measured with livekit 1.2.1 and livekit-client 2.15.7); wait until then.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._client_seen.wait(), CLIENT_ANNOUNCE_WAIT_S)
            await self.agent.handle_command(command)

    def _on_track_published(self, publication: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant) -> None:
        if participant.identity == CLIENT_IDENTITY and publication.kind == rtc.TrackKind.KIND_AUDIO:
            publication.set_subscribed(True)

    def _on_track_subscribed(
        self, track: rtc.Track, publication: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        if participant.identity != CLIENT_IDENTITY or track.kind != rtc.TrackKind.KIND_AUDIO:
            return
        if self._listen_task is not None:
            self._listen_task.cancel()
        self.mic_subscribed = True
        self._listen_task = self._spawn(self._listen(track), "listen")

    def _on_track_unsubscribed(
        self, track: rtc.Track, publication: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        if participant.identity == CLIENT_IDENTITY and track.kind == rtc.TrackKind.KIND_AUDIO:
            self.mic_subscribed = False

    async def _listen(self, track: rtc.Track) -> None:
        detector = VoiceActivityDetector()
        stream = rtc.AudioStream(track, sample_rate=STT_RATE, num_channels=1, frame_size_ms=LISTEN_FRAME_MS)
        try:
            async for event in stream:
                for kind, pcm in detector.push(bytes(event.frame.data)).events:
                    if kind == "start":
                        await self.agent.user_audio_start()
                    elif kind == "audio":
                        self.agent.user_audio_chunk(pcm)
                    else:
                        await self.agent.user_audio_end()
        finally:
            if detector.speaking:
                await self.agent.user_audio_end()
            await stream.aclose()

    # -- faults -----------------------------------------------------------------------------------------------

    async def republish(self, after_s: float) -> None:
        """The avatar's tracks go away and come back as new tracks (what a LiveAvatar media restart looks like)."""
        await self._unpublish()
        self._set_unwatched()
        await asyncio.sleep(after_s)
        if not self._closed:
            await self._publish()

    async def kill_avatar(self, rejoin_after_s: float | None) -> None:
        """The avatar participant drops out of the room without a word; optionally it joins again later."""
        room, self.avatar_room = self.avatar_room, None
        self.avatar_published = False
        self._set_unwatched()
        self._tracks = []
        if room is not None:
            await room.disconnect()
        if rejoin_after_s is not None and not self._closed:
            self._avatar_task = self._spawn(self._join_avatar(rejoin_after_s), "avatar-rejoin")

    # -- ending -----------------------------------------------------------------------------------------------

    def _server_api(self) -> api.LiveKitAPI:
        return api.LiveKitAPI(self.endpoint.http_url, self.endpoint.api_key, self.endpoint.api_secret)

    async def _delete_room(self) -> None:
        try:
            async with self._server_api() as client:
                await client.room.delete_room(api.DeleteRoomRequest(room=self.name))
        except Exception:  # the server is already gone: the page has lost the room anyway
            log.warning("could not delete LiveKit room %s", self.name, exc_info=True)

    async def _evict_own_participants(self) -> None:
        """Have the server drop the agent and the avatar if it still lists them. A join that failed on our side
        after the server admitted it (a loaded machine) leaves a participant the server keeps until its own
        timeout, with nothing here to disconnect it; a room that is not deleted must not keep it."""
        ours = {self.agent_identity, AVATAR_IDENTITY}
        try:
            async with self._server_api() as client:
                listed = await client.room.list_participants(api.ListParticipantsRequest(room=self.name))
                for participant in listed.participants:
                    if participant.identity not in ours:
                        continue
                    log.info("room %s: the server still held %s; removed", self.name, participant.identity)
                    try:
                        await client.room.remove_participant(
                            api.RoomParticipantIdentity(room=self.name, identity=participant.identity)
                        )
                    except api.TwirpError as exc:  # it left meanwhile
                        log.info("room %s: %s was already gone (%s)", self.name, participant.identity, exc)
        except Exception:  # the server is already gone: so are its participants
            log.warning("could not check LiveKit room %s for participants left behind", self.name, exc_info=True)

    async def shutdown(self, *, delete_room: bool) -> None:
        """Leave (and with `delete_room`, delete) the room; tasks are cancelled and awaited. Idempotent.

        The avatar and the agent leave first, then the room is deleted, which disconnects the page."""
        if self._closed:
            return
        self._closed = True
        delete = delete_room and self.agent_room is not None
        if delete:
            await asyncio.sleep(STOPPED_GRACE_S)  # let session.stopped reach the page before the room goes
        pending = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._abandoned_joins:  # awaited, never cancelled: see _connect
            await asyncio.wait(set(self._abandoned_joins), timeout=ABANDONED_JOIN_WAIT_S)
        for room in (self.avatar_room, self.agent_room):
            if room is not None:
                with contextlib.suppress(Exception):
                    await room.disconnect()
        self.avatar_room = self.agent_room = None
        if delete:
            await self._delete_room()
        elif not delete_room:  # the room stays: none of ours may stay in it
            await self._evict_own_participants()
        with contextlib.suppress(Exception):
            await self.audio_source.aclose()
        with contextlib.suppress(Exception):
            await self.video_source.aclose()
