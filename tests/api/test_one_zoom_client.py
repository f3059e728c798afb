"""The server has one Zoom client: the farm and the Zoom routes share it (Zoom's refresh tokens rotate, so a second
client refreshing on its own would spend the grant's token under the first), and the app closes it last."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.app import create_app
from farm.vendors.zoom_client import ZoomClient
from state.repository import Repository
from tests.api.conftest import RecordingFarm, make_settings


async def test_the_farm_and_the_zoom_routes_share_one_client(tmp_path: Path) -> None:
    given: list[ZoomClient | None] = []

    def factory(repository: Repository, _settings: Any, _tickets: Any, zoom: ZoomClient | None) -> RecordingFarm:
        given.append(zoom)
        return RecordingFarm(repository)

    settings = make_settings(tmp_path, zoom_oauth_client_id="client", zoom_oauth_client_secret="secret")
    app = create_app(settings, farm_factory=factory)
    async with app.router.lifespan_context(app):
        [zoom] = given
        assert isinstance(zoom, ZoomClient) and app.state.zoom is zoom


async def test_without_zoom_credentials_there_is_no_client(tmp_path: Path) -> None:
    given: list[ZoomClient | None] = []

    def factory(repository: Repository, _settings: Any, _tickets: Any, zoom: ZoomClient | None) -> RecordingFarm:
        given.append(zoom)
        return RecordingFarm(repository)

    settings = make_settings(tmp_path, zoom_mode="live", zoom_sdk_key="key", zoom_sdk_secret="secret")  # no OAuth app
    app = create_app(settings, farm_factory=factory)
    async with app.router.lifespan_context(app):
        assert given == [None] and app.state.zoom is None
