"""fakes/liveavatar: a local LiveAvatar (REST, a web-SDK stand-in, a talking avatar with real media and speech
recognition, limits and faults). Start it with `avatarfarm fake-liveavatar` or `create_app(FakeLiveAvatarConfig())`.
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
