"""The fake's avatar catalog (AvatarSchema), including LiveAvatar's sandbox avatar "Wayne"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fakes.liveavatar.voices import VOICES, Voice

# docs.liveavatar.com/docs/developing-in-sandbox-mode: sandbox sessions may only use a few avatars, e.g. Wayne.
WAYNE_ID = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"


@dataclass(frozen=True)
class Avatar:
    id: str
    name: str
    type: str  # IMAGE | VIDEO
    status: str  # ACTIVE | INIT | DEPLOYING | FAILED
    default_voice: Voice
    is_1080p: bool
    sandbox_allowed: bool
    # Colours of the drawn head, so different avatars look different on the canvas.
    skin: str
    shirt: str

    def schema(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "status": self.status,
            "preview_url": f"{base_url}/previews/{self.id}.svg",
            "default_voice": {"id": self.default_voice.id, "name": self.default_voice.name},
            "is_1080p": self.is_1080p,
            "is_public": True,
        }


AVATARS: tuple[Avatar, ...] = (
    Avatar(WAYNE_ID, "Wayne", "VIDEO", "ACTIVE", VOICES[0], False, True, "#e0b48c", "#2f5d8a"),
    Avatar(
        "3b8f0c1e-5a52-4f43-a0a4-6e6f1c2d9b10", "Ada", "VIDEO", "ACTIVE", VOICES[1], True, False, "#c98e62", "#7a3b69"
    ),
    Avatar(
        "5e2d7b44-93c1-4bb0-8d0e-2a7f61c4e5d2",
        "Marcus",
        "IMAGE",
        "ACTIVE",
        VOICES[2],
        False,
        False,
        "#8d5a3b",
        "#3c6e47",
    ),
    # Not ready: creating a token for it fails, so clients can exercise that path.
    Avatar(
        "9f0a6c3d-2b7e-4d1a-b5c8-1e4f7a9d0c66", "Nova", "VIDEO", "DEPLOYING", VOICES[1], False, False, "#f1c7a5", "#444"
    ),
)
_BY_ID = {avatar.id: avatar for avatar in AVATARS}


def find_avatar(avatar_id: str) -> Avatar | None:
    return _BY_ID.get(avatar_id.lower())


def preview_svg(avatar: Avatar) -> str:
    """A small portrait matching what the canvas draws, for AvatarSchema.preview_url."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240">'
        '<rect width="320" height="240" fill="#1d2733"/>'
        f'<rect x="90" y="170" width="140" height="80" rx="40" fill="{avatar.shirt}"/>'
        f'<circle cx="160" cy="110" r="60" fill="{avatar.skin}"/>'
        '<circle cx="138" cy="100" r="7" fill="#222"/><circle cx="182" cy="100" r="7" fill="#222"/>'
        '<rect x="140" y="135" width="40" height="8" rx="4" fill="#7a2e2e"/>'
        f'<text x="160" y="230" fill="#fff" font-family="sans-serif" font-size="18" text-anchor="middle">'
        f"{avatar.name}</text></svg>"
    )
