"""fakes/liveavatar: a local LiveAvatar (REST, a web-SDK stand-in, a talking avatar with real media and speech
recognition, limits and faults). Start it with `avatarfarm fake-liveavatar` or `create_app(FakeLiveAvatarConfig())`.
"""

from fakes.liveavatar.app import create_app
from fakes.liveavatar.config import FakeLiveAvatarConfig

__all__ = ["FakeLiveAvatarConfig", "create_app"]
