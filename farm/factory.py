"""Builds the farm `avatarfarm serve` runs: the browser farm on this machine (the API's default, the
QueuedFarm, only queues)."""

from __future__ import annotations

from farm.manager import Farm
from farm.room.bot_tickets import BotTickets
from farm.settings import Settings
from state.repository import Repository


def browser_farm(repository: Repository, settings: Settings, tickets: BotTickets) -> Farm:
    return Farm(repository, settings, tickets)
