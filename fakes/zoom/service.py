"""The state of one running fake Zoom: its configuration, users, credentials and meetings."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request, WebSocket

from fakes.zoom.config import FakeZoomConfig
from fakes.zoom.credentials import CredentialStore, UserDirectory
from fakes.zoom.meetings import MeetingDirectory


@dataclass
class FakeZoomService:
    config: FakeZoomConfig
    meetings: MeetingDirectory = field(default_factory=MeetingDirectory)
    credentials: CredentialStore = field(default_factory=CredentialStore)
    users: UserDirectory = field(init=False)
    # Seconds each next REST meeting creation waits before answering (Zoom's API is slow at times).
    meeting_creation_delays: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.users = UserDirectory(self.config.users)

    def base_url(self, request: Request | WebSocket) -> str:
        """Where pages reach the service: the configured public URL, else the URL this request came to."""
        if self.config.public_base_url:
            return self.config.public_base_url.rstrip("/")
        return str(request.base_url).rstrip("/")


def get_service(request: Request) -> FakeZoomService:
    """FastAPI dependency: the service the app was created with."""
    service: FakeZoomService = request.app.state.fake_zoom
    return service
