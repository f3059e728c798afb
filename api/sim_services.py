"""The simulated services a sim-mode server depends on (the fake Zoom, the fake LiveAvatar): whether they
answer, in words, for `avatarfarm serve`'s start-up line and for /readyz. Live services are never probed."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from farm.settings import Mode, Settings
from farm.tls_context import shared_tls_context

PROBE_TIMEOUT_SECONDS = 1.0
# /readyz may be polled every second by several probes: the answer is reused for this long.
CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class SimService:
    name: str
    url: str
    command: str


def sim_services(settings: Settings) -> list[SimService]:
    """The simulated services these settings use (none when both are live)."""
    services = []
    if settings.zoom_mode is Mode.sim and settings.zoom_api_base:
        services.append(SimService("the simulated Zoom", settings.zoom_api_base, "avatarfarm fake-zoom"))
    if settings.liveavatar_mode is Mode.sim and settings.liveavatar_api_base:
        services.append(
            SimService("the simulated LiveAvatar", settings.liveavatar_api_base, "avatarfarm fake-liveavatar")
        )
    return services


async def _answers(client: httpx.AsyncClient, service: SimService) -> bool:
    try:
        response = await client.get(f"{service.url}/healthz")
    except httpx.HTTPError:
        return False
    return response.status_code == 200


async def silent_services(settings: Settings) -> list[SimService]:
    """The simulated services that do not answer their /healthz now."""
    services = sim_services(settings)
    if not services:
        return []
    async with httpx.AsyncClient(verify=shared_tls_context(), timeout=PROBE_TIMEOUT_SECONDS, trust_env=False) as client:
        answers = await asyncio.gather(*(_answers(client, service) for service in services))
    return [service for service, answered in zip(services, answers, strict=True) if not answered]


def silence_in_words(silent: list[SimService]) -> str:
    """One sentence naming the silent services and how to start them."""
    names = " and ".join(f"{s.name} at {s.url}" for s in silent)
    commands = " and ".join(f"`{s.command}`" for s in silent)
    verb, pronoun = ("does", "it") if len(silent) == 1 else ("do", "them")
    return f"{names} {verb} not answer: start {pronoun} with {commands}, or run `avatarfarm demo`"


class SimReadiness:
    """/readyz's view of the simulated services, refreshed at most every CACHE_SECONDS."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._checked_at = -CACHE_SECONDS
        self._problems: list[str] = []
        self._lock = asyncio.Lock()

    async def problems(self) -> list[str]:
        async with self._lock:
            if time.monotonic() - self._checked_at >= CACHE_SECONDS:
                silent = await silent_services(self._settings)
                self._problems = [silence_in_words(silent)] if silent else []
                self._checked_at = time.monotonic()
            return list(self._problems)
