"""The avatar side of one live session: what LiveAvatar's agent and avatar participants do in the real room.

It receives the page's commands (agent-control) and the user's speech, speaks through espeak-ng, listens through
pocketsphinx, answers Socratically in FULL mode, emits the agent-response events with their real names and
shapes, and keeps the session transcript. What it says and sends goes through a MediaChannel: the session's
LiveKit room (avatar_room.py) turns events into data packets and speech into the avatar's audio track.

Behaviour worth knowing:
* speak commands queue; `avatar.interrupt` stops the current utterance and drops the queue (docs: "Interrupts and
  stops any scheduled commands"); an interrupted utterance still gets its `avatar.speak_ended`;
* `avatar.transcription` comes right away for `avatar.speak_text`, and after the reply is built for
  `avatar.speak_response` and for answers to the user's speech; it is followed by speak_started / speak_ended;
* the user speaking while the avatar talks (CONVERSATIONAL) interrupts the avatar (barge-in);
* in PUSH_TO_TALK sessions speech counts only between user.start_push_to_talk and user.stop_push_to_talk;
* without a context the avatar is in restricted mode: transcriptions still come, replies do not;
* the context's opening text is spoken once, when the client first joins the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from fakes.liveavatar.agent_protocol import COMMANDS, check_event
from fakes.liveavatar.replies import SocraticTutor
from fakes.liveavatar.sessions import AvatarSession, SessionRegistry, StopReason
from fakes.liveavatar.stt import SpeechRecognizer
from fakes.liveavatar.tts import Speech, SpeechSynthesisError, Synthesizer

log = logging.getLogger(__name__)

AUDIO_CHUNK_S = 0.2
AUDIO_LEAD_S = 0.6  # how far ahead of real time audio is sent, so the avatar's audio track never starves
MAX_UTTERANCE_BYTES = 16_000 * 2 * 30


class MediaChannel(Protocol):
    """Where the session's output goes (avatar_room.AvatarRoom). JSON messages: {"type": "agent-response", "data":
    <event>}; {"type": "audio.begin", "utterance_id", "sample_rate", "text"}, then the speech as int16 PCM bytes at
    that rate, then {"type": "audio.end"}; {"type": "audio.stop"} drops what is buffered (interrupt)."""

    async def send_json(self, message: dict[str, Any]) -> None: ...

    async def send_bytes(self, data: bytes) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


@dataclass
class SpeakJob:
    text: str
    source_event_id: str | None
    # LITE: audio the client sent instead of text to synthesise, and its own start/end notifications.
    pcm: bytes | None = None
    sample_rate: int = 0
    on_started: Callable[[], Awaitable[None]] | None = None
    on_ended: Callable[[bool], Awaitable[None]] | None = None  # argument: interrupted


class SessionAgent:
    def __init__(
        self,
        session: AvatarSession,
        registry: SessionRegistry,
        synthesizer: Synthesizer,
        recognizer: SpeechRecognizer,
    ) -> None:
        self.session = session
        self.registry = registry
        self.synthesizer = synthesizer
        self.recognizer = recognizer
        self.tutor = SocraticTutor(session.avatar.name, session.context)
        self.channel: MediaChannel | None = None
        self.state = "idle"  # idle | listening | speaking (shown by the admin API)
        self.push_to_talk_active = False
        self.turns = 0
        self.event_log: list[dict[str, Any]] = []
        self._send_lock = asyncio.Lock()
        self._queue: asyncio.Queue[SpeakJob] = asyncio.Queue()
        self._current: asyncio.Task[None] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._user_audio: bytearray | None = None
        self._opening_done = False
        self._closed = False

    # -- wiring ---------------------------------------------------------------------------------------------

    async def attach(self, channel: MediaChannel) -> None:
        """The client first joined the session's room: output goes there from now on; the opening text is said."""
        self.channel = channel
        self.session.media_connected_ever = True
        if self._worker is None:
            self._worker = asyncio.create_task(self._speak_loop())
            # Start the recogniser and build this session's boosted model before the first student speaks.
            vocabulary = self.session.context.vocabulary_text() if self.session.context else ""
            self._spawn(self.recognizer.prepare(vocabulary))
        if not self._opening_done:
            self._opening_done = True
            context = self.session.context
            if self.session.mode == "FULL" and context is not None and context.opening_text.strip():
                await self._say(context.opening_text.strip(), None)

    async def close(self, reason: StopReason) -> None:
        """The session ended: tell the page (session.stopped), close the room, stop speaking."""
        if self._closed:
            return
        self._closed = True
        await self._interrupt()
        await self.emit("session.stopped", stop_reason=reason.value)
        channel, self.channel = self.channel, None
        if channel is not None:
            with contextlib.suppress(Exception):
                await channel.close(1000, f"session ended: {reason.value}")
        await self._cancel([self._worker, *self._tasks])

    async def disconnect(self) -> None:
        """Leave the room without ending the session (the service is shutting down)."""
        self._closed = True
        channel, self.channel = self.channel, None
        if channel is not None:
            with contextlib.suppress(Exception):
                await channel.close(1001, "service shutting down")
        await self._cancel([self._worker, self._current, *self._tasks])

    @staticmethod
    async def _cancel(tasks: list[asyncio.Task[Any] | None]) -> None:
        """Cancel the session's tasks and wait for them, so none outlives the service's event loop."""
        pending = [t for t in tasks if t is not None and t is not asyncio.current_task() and not t.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # -- output ---------------------------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any] | bytes) -> None:
        channel = self.channel
        if channel is None:
            return
        try:
            async with self._send_lock:
                if isinstance(message, bytes):
                    await channel.send_bytes(message)
                else:
                    await channel.send_json(message)
        except Exception:  # the room went away mid-send; the session itself goes on
            log.debug("media channel send failed", exc_info=True)
            if self.channel is channel:
                self.channel = None

    async def emit(self, event_type: str, source_event_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """Send one agent-response event: {event_id, event_type, session_id, source_event_id, ...}."""
        check_event(event_type, fields)
        event = {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "session_id": self.session.id,
            "source_event_id": source_event_id,
            **fields,
        }
        self.event_log.append(event)
        del self.event_log[:-200]
        await self._send({"type": "agent-response", "data": event})
        return event

    def _transcript(self, role: str, text: str) -> None:
        self.session.add_transcript(role, text, self.registry.now(), self.registry.wall_now())

    # -- commands -------------------------------------------------------------------------------------------

    async def handle_command(self, command: dict[str, Any]) -> None:
        """One agent-control command from the page (the same JSON the real SDK publishes on the data channel)."""
        if self._closed or not self.session.is_active:
            return
        event_type = command.get("event_type")
        if event_type not in COMMANDS:
            log.debug("ignoring command %r", event_type)
            return
        self.registry.touch(self.session)
        event_id = command.get("event_id")
        text = command.get("text")
        if event_type == "avatar.speak_text" and isinstance(text, str):
            await self._say(text, event_id)
        elif event_type == "avatar.speak_response" and isinstance(text, str):
            await self._respond(text, event_id)
        elif event_type == "avatar.interrupt":
            await self._interrupt()
        elif event_type == "avatar.start_listening":
            if self.state != "speaking":
                self.state = "listening"
        elif event_type == "avatar.stop_listening":
            if self.state == "listening":
                self.state = "idle"
        elif event_type == "user.start_push_to_talk":
            await self._push_to_talk(start=True)
        elif event_type == "user.stop_push_to_talk":
            await self._push_to_talk(start=False)
        elif event_type == "session.stop":
            self.registry.stop(self.session, StopReason.USER_CLOSED)
        else:
            log.debug("ignoring command %r", event_type)

    async def _push_to_talk(self, *, start: bool) -> None:
        allowed = self.session.interactivity_type == "PUSH_TO_TALK"
        if start:
            self.push_to_talk_active = allowed
            await self.emit("user.push_to_talk_started" if allowed else "user.push_to_talk_start_failed")
        else:
            was_active, self.push_to_talk_active = self.push_to_talk_active, False
            await self.emit("user.push_to_talk_stopped" if was_active else "user.push_to_talk_stop_failed")
            if self._user_audio is not None:
                await self.user_audio_end()

    async def _say(self, text: str, source_event_id: str | None) -> None:
        await self.emit("avatar.transcription", source_event_id, text=text)
        self._transcript("avatar", text)
        await self._queue.put(SpeakJob(text, source_event_id))

    async def _respond(self, user_text: str, source_event_id: str | None) -> None:
        reply = self.tutor.reply(user_text, self.turns) if self.session.mode == "FULL" else None
        self.turns += 1
        if reply is not None:
            await self._say(reply, source_event_id)

    async def _interrupt(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
        current = self._current
        if current is not None and not current.done():
            current.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await current

    # -- speaking -------------------------------------------------------------------------------------------

    async def _speak_loop(self) -> None:
        while True:
            job = await self._queue.get()
            self._current = asyncio.create_task(self._speak(job))
            try:
                await self._current
            except asyncio.CancelledError:
                # An interrupt cancels only the utterance; a cancellation of this loop itself must end it.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
            finally:
                self._current = None

    async def play_audio(
        self,
        pcm: bytes,
        sample_rate: int,
        on_started: Callable[[], Awaitable[None]],
        on_ended: Callable[[bool], Awaitable[None]],
    ) -> None:
        """LITE: lip-sync audio the client sent (queued like any other utterance)."""
        self.registry.touch(self.session)
        await self._queue.put(SpeakJob("", None, pcm, sample_rate, on_started, on_ended))

    async def _speak(self, job: SpeakJob) -> None:
        if job.pcm is not None:
            speech = Speech(job.pcm, job.sample_rate)
        else:
            try:
                speech = await self.synthesizer.synthesize(
                    job.text, voice=self.session.voice.espeak_voice, speed=self.session.voice_speed
                )
            except SpeechSynthesisError:
                log.exception("speech synthesis failed")
                return
        loop = asyncio.get_running_loop()
        utterance_id = str(uuid.uuid4())
        interrupted = False
        if job.on_started is not None:
            await job.on_started()
        else:
            await self.emit("avatar.speak_started", job.source_event_id)
        self.state = "speaking"
        self.registry.touch(self.session)
        await self._send(
            {"type": "audio.begin", "utterance_id": utterance_id, "sample_rate": speech.sample_rate, "text": job.text}
        )
        started = loop.time()
        try:
            chunk_bytes = int(speech.sample_rate * AUDIO_CHUNK_S) * 2
            for index, offset in enumerate(range(0, len(speech.pcm), chunk_bytes)):
                delay = started + index * AUDIO_CHUNK_S - AUDIO_LEAD_S - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await self._send(speech.pcm[offset : offset + chunk_bytes])
            await self._send({"type": "audio.end", "utterance_id": utterance_id})
            remaining = started + speech.duration_s - loop.time()
            if remaining > 0:
                await asyncio.sleep(remaining)
        except asyncio.CancelledError:
            interrupted = True
            await self._send({"type": "audio.stop", "utterance_id": utterance_id})
            raise
        finally:
            self.state = "idle"  # before speak_ended goes out: whoever hears it may ask at once
            if job.on_ended is not None:
                await job.on_ended(interrupted)
            else:
                await self.emit("avatar.speak_ended", job.source_event_id)
            self.registry.touch(self.session)

    # -- listening ------------------------------------------------------------------------------------------

    def _hears_user(self) -> bool:
        if self.session.interactivity_type == "PUSH_TO_TALK":
            return self.push_to_talk_active
        return True

    async def user_audio_start(self) -> None:
        if self._closed or not self._hears_user():
            return
        self._user_audio = bytearray()
        self.registry.touch(self.session)
        await self.emit("user.speak_started")
        speaking = self._current is not None and not self._current.done()
        if speaking and self.session.interactivity_type == "CONVERSATIONAL":
            await self._interrupt()

    def user_audio_chunk(self, pcm: bytes) -> None:
        if self._user_audio is not None and len(self._user_audio) < MAX_UTTERANCE_BYTES:
            self._user_audio.extend(pcm)

    async def user_audio_end(self) -> None:
        audio, self._user_audio = self._user_audio, None
        if audio is None or self._closed:
            return
        self.registry.touch(self.session)
        await self.emit("user.speak_ended")
        self._spawn(self._understand(bytes(audio)))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and not self._closed:
            log.error("speech recognition failed", exc_info=task.exception())

    async def _understand(self, pcm: bytes) -> None:
        vocabulary = self.session.context.vocabulary_text() if self.session.context else ""
        text = await self.recognizer.transcribe(pcm, vocabulary)
        if not text or self._closed:
            return
        await self.emit("user.transcription", text=text)
        self._transcript("user", text)
        await self._respond(text, None)
