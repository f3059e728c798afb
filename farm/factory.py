"""Builds the farm `avatarfarm serve` runs (the API's default): the browser farm, with the server's one Zoom
client."""

from __future__ import annotations

from farm.manager import Farm
from farm.room.bot_tickets import BotTickets
from farm.settings import Settings
from farm.vendors.zoom_client import ZoomClient
from state.repository import Repository


def browser_farm(repository: Repository, settings: Settings, tickets: BotTickets, zoom: ZoomClient | None) -> Farm:
    return Farm(repository, settings, tickets, zoom=zoom)
