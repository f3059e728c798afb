"""The fake's voice agents: stored personas (a voice, a context, a language) a FULL token may name by id in
`voice_agent` instead of spelling out `avatar_persona` (docs.liveavatar.com, Voice Agents). Only the
`liveavatar_agent` type is modelled; the request may override the agent's voice, context and language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fakes.liveavatar.voices import VOICES


@dataclass(frozen=True)
class VoiceAgent:
    id: str
    name: str
    voice_id: str
    context_id: str | None
    language: str

    def schema(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "agent_type": "liveavatar_agent",
            "agent_configuration": {
                "voice_id": self.voice_id,
                "context_id": self.context_id,
                "language": self.language,
            },
        }


VOICE_AGENTS: tuple[VoiceAgent, ...] = (
    VoiceAgent("5e0c2a7b-8d41-4f6e-9b3a-2c7d1e4f8a90", "Tutor (Ada's voice)", VOICES[1].id, None, "en"),
    VoiceAgent("9a1b3c5d-7e2f-4a6b-8c0d-1e3f5a7b9c2d", "Tutor (Wayne's voice)", VOICES[0].id, None, "en"),
)
_BY_ID = {agent.id: agent for agent in VOICE_AGENTS}


def find_voice_agent(agent_id: str) -> VoiceAgent | None:
    return _BY_ID.get(agent_id)
