"""A local Zoom: meeting service with real WebRTC media, Meeting SDK stand-in, host controls, REST and OAuth.

Start it in-process with `create_app(FakeZoomConfig(...))`, or as `avatarfarm fake-zoom --port N`.
"""

from fakes.zoom.app import create_app
from fakes.zoom.config import FakeZoomConfig

__all__ = ["FakeZoomConfig", "create_app"]
