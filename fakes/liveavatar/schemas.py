"""Request bodies, validated as LiveAvatar's OpenAPI documents them (FULL and LITE token bodies, stop, contexts).

Unknown fields are ignored (FastAPI's default); wrong types, missing required fields and out-of-range values give
422 {detail: [{type, loc, msg, input}]}.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

Quality = Literal["very_high", "high", "medium", "low"]
StopReasonName = Literal[
    "UNKNOWN",
    "USER_DISCONNECTED",
    "SERVER_ERROR",
    "IDLE_TIMEOUT",
    "NO_CREDITS",
    "USER_CLOSED",
    "AVATAR_DELETED",
    "MAX_DURATION_REACHED",
    "ZOMBIE_SESSION_REAP",
    "AGENT_HANG_UP",
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class VideoSettings(_Body):
    quality: Quality = "high"
    encoding: Literal["VP8", "H264"] = "H264"


class ElevenLabsVoiceSettings(_Body):
    provider: Literal["elevenLabs"] = "elevenLabs"
    speed: Annotated[float, Field(ge=0.7, le=1.2)] = 1.0
    stability: Annotated[float, Field(ge=0, le=1)] | None = None
    similarity_boost: Annotated[float, Field(ge=0, le=1)] | None = None
    style: Annotated[float, Field(ge=0, le=1)] | None = None
    use_speaker_boost: bool | None = None
    model: str | None = None


class FishVoiceSettings(_Body):
    provider: Literal["fish"]
    speed: Annotated[float, Field(ge=0.5, le=2.0)] = 1.0
    model: str | None = None
    latency_mode: str | None = None


class SttConfig(_Body):
    provider: Literal["deepgram", "assembly_ai", "gladia", "elevenlabs"] | None = None


class AvatarPersona(_Body):
    voice_id: UUID | None = None
    context_id: UUID | None = None
    language: str = "en"
    # ElevenLabs unless "provider": "fish" (the tag may be omitted for ElevenLabs).
    voice_settings: Annotated[ElevenLabsVoiceSettings | FishVoiceSettings, Field(union_mode="left_to_right")] | None = (
        None
    )
    stt_config: SttConfig | None = None


class VoiceAgentRef(_Body):
    """A stored voice agent by id, with per-session overrides of its voice, context and language."""

    id: UUID
    voice_id: UUID | None = None
    context_id: UUID | None = None
    language: str | None = None


class Memory(_Body):
    prev_session_id: UUID | None = None
    session_memory_id: UUID | None = None


class _TokenCommon(_Body):
    avatar_id: UUID
    is_sandbox: bool = False
    video_settings: VideoSettings | None = None
    max_session_duration: Annotated[int, Field(gt=0)] | None = None


class FullTokenRequest(_TokenCommon):
    mode: Literal["FULL"] = "FULL"
    # Exactly one of the two (LiveAvatar: "Mutually exclusive with avatar_persona"); checked in rest_api.py so
    # that the 422 names the field.
    avatar_persona: AvatarPersona | None = None
    voice_agent: VoiceAgentRef | None = None
    interactivity_type: Literal["CONVERSATIONAL", "PUSH_TO_TALK"] = "CONVERSATIONAL"
    llm_configuration_id: UUID | None = None
    dynamic_variables: dict[str, str] | None = None
    memory: Memory | None = None

    @field_validator("dynamic_variables")
    @classmethod
    def _bounded_variables(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        # Documented: at most 50 entries; keys <= 64 chars; values <= 1000 chars.
        if value is None:
            return None
        if len(value) > 50:
            raise ValueError("at most 50 dynamic variables")
        for key, item in value.items():
            if len(key) > 64:
                raise ValueError(f"dynamic variable name longer than 64 characters: {key[:20]}...")
            if len(item) > 1000:
                raise ValueError(f"dynamic variable {key!r} longer than 1000 characters")
        return value


class LiveKitConfig(_Body):
    livekit_url: str
    livekit_room: str
    livekit_client_token: str


class LiteTokenRequest(_TokenCommon):
    mode: Literal["LITE"]
    livekit_config: LiveKitConfig | None = None
    agora_config: dict[str, Any] | None = None
    elevenlabs_agent_config: dict[str, Any] | None = None
    openai_realtime_config: dict[str, Any] | None = None
    gemini_realtime_config: dict[str, Any] | None = None


TokenRequest = Annotated[FullTokenRequest | LiteTokenRequest, Field(discriminator="mode")]


class StopRequest(_Body):
    session_id: UUID | None = None
    reason: StopReasonName = "USER_CLOSED"


class KeepAliveRequest(_Body):
    session_id: UUID | None = None


class ContextLinkBody(_Body):
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    faq: Annotated[str, Field(max_length=5000)] = ""


class ContextBody(_Body):
    """Create and PATCH body. Lengths are checked against the configured limits in the handler."""

    name: Annotated[str, Field(min_length=1)]
    prompt: str
    opening_text: str = ""
    links: list[ContextLinkBody] = Field(default_factory=list)


class ContextPatch(_Body):
    name: Annotated[str, Field(min_length=1)] | None = None
    prompt: str | None = None
    opening_text: str | None = None
    links: list[ContextLinkBody] | None = None
