"""Which SessionAgent serves which live session; agents are made at start and closed when the session ends
(then the session's LiveKit room is deleted)."""

from __future__ import annotations

import asyncio

from fakes.liveavatar.conversation import SessionAgent
from fakes.liveavatar.rooms import RoomDirectory
from fakes.liveavatar.sessions import AvatarSession, SessionRegistry, StopReason
from fakes.liveavatar.stt import SpeechRecognizer
from fakes.liveavatar.tts import Synthesizer


class AgentDirectory:
    def __init__(
        self,
        registry: SessionRegistry,
        synthesizer: Synthesizer,
        recognizer: SpeechRecognizer,
        rooms: RoomDirectory,
    ) -> None:
        self.registry = registry
        self.rooms = rooms
        self.synthesizer = synthesizer
        self.recognizer = recognizer
        self._agents: dict[str, SessionAgent] = {}
        self._closing: set[asyncio.Task[None]] = set()
        registry.on_end(self._session_ended)

    def start(self, session: AvatarSession) -> SessionAgent:
        agent = SessionAgent(session, self.registry, self.synthesizer, self.recognizer)
        self._agents[session.id] = agent
        return agent

    def get(self, session_id: str) -> SessionAgent | None:
        return self._agents.get(session_id)

    def _session_ended(self, session: AvatarSession, reason: StopReason) -> None:
        agent = self._agents.pop(session.id, None)
        if agent is None:
            return
        task = asyncio.get_running_loop().create_task(self._close(agent, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, agent: SessionAgent, reason: StopReason) -> None:
        """session.stopped to the page first, then the room goes (which disconnects the page)."""
        try:
            await agent.close(reason)
        finally:
            await self.rooms.close(agent.session.id)

    async def shutdown(self) -> None:
        """The service is going down: the agents stop and the rooms go (pages see an unexplained disconnect)."""
        for session_id in list(self._agents):
            await self._agents.pop(session_id).disconnect()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        await self.rooms.shutdown()
