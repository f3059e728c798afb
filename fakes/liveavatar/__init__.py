"""fakes/liveavatar: a local LiveAvatar service: REST, a LiveKit room per session in which the avatar (`heygen`,
talking-head video and espeak-ng voice) and the agent (events, speech recognition of the client's microphone,
replies) take part, LITE mode's socket, limits, money and faults. Its client is always the vendor's own web SDK.
Start it with `avatarfarm fake-liveavatar` or `create_app(FakeLiveAvatarConfig())`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakes.liveavatar.app import create_app
    from fakes.liveavatar.config import FakeLiveAvatarConfig

__all__ = ["FakeLiveAvatarConfig", "create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so that the speech-recognition worker process imports only what it needs.
    if name == "create_app":
        from fakes.liveavatar.app import create_app

        return create_app
    if name == "FakeLiveAvatarConfig":
        from fakes.liveavatar.config import FakeLiveAvatarConfig

        return FakeLiveAvatarConfig
    raise AttributeError(name)
