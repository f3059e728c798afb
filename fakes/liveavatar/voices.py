"""The fake's voice catalog: LiveAvatar voice ids mapped to espeak-ng voices that actually speak."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    language: str
    gender: str
    espeak_voice: str

    def public(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "language": self.language, "gender": self.gender}


VOICES: tuple[Voice, ...] = (
    Voice("7d1ad1b4-0f63-4b1c-9a3a-3d1f3bb2a1a1", "Wayne (espeak en-us)", "en", "male", "en-us+m3"),
    Voice("a4a3c8c1-6f0e-4f0b-8f71-56c9b1e6b2c2", "Ada (espeak en-gb)", "en", "female", "en-gb+f3"),
    Voice("c2f5e0d9-1b44-4c57-9e4b-0b6d7a8e3c33", "Marcus (espeak en-us)", "en", "male", "en-us+m1"),
)
_BY_ID = {voice.id: voice for voice in VOICES}


def find_voice(voice_id: str) -> Voice | None:
    return _BY_ID.get(voice_id)
