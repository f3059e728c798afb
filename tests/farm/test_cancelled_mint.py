"""A mint cancelled half-way (farm/money/avatar_billing.py) leaves no row open and nothing billing, whatever step
it was at: the room's avatar work is cancelled when its bot ends, and a bot's browser can crash at any moment.
The failure campaign once ended with a row still `requested` (no vendor session, no end, counted open for ever):
the vendor had refused the mint, and the bot's crash cancelled the closing of its row."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from farm.money.avatar_billing import mint, not_minted
from farm.vendors.liveavatar_client import SessionToken, VendorSession
from farm.vendors.vendor_http import VendorError
from state.models import AvatarSessionStatus


@dataclass
class _Gate:
    """A step that waits, once entered, until the test lets it finish."""

    entered: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def through(self) -> None:
        self.entered.set()
        await self.release.wait()


@dataclass
class _AvatarRows:
    closing: _Gate = field(default_factory=_Gate)
    assigning: _Gate = field(default_factory=_Gate)
    gate_closing: bool = False
    gate_assigning: bool = False
    closed: dict[str, tuple[AvatarSessionStatus, str]] = field(default_factory=dict)
    vendor_of: dict[str, str] = field(default_factory=dict)

    async def close(self, row: str, *, status: AvatarSessionStatus, end_reason: str, **usage: Any) -> None:
        if self.gate_closing:
            await self.closing.through()
        self.closed.setdefault(row, (status, end_reason))  # closed once, as the repository does

    async def assigned(self, row: str, *, vendor_session_id: str) -> None:
        if self.gate_assigning:
            await self.assigning.through()
        self.vendor_of[row] = vendor_session_id


@dataclass
class _LiveAvatar:
    stopped: list[str] = field(default_factory=list)

    async def session_token(self, **asked: Any) -> SessionToken:
        return SessionToken(session_id="vendor-1", token="t")

    async def stop_session(self, vendor: str, reason: str) -> None:
        self.stopped.append(vendor)

    async def session(self, vendor: str) -> VendorSession:
        return VendorSession(id=vendor, status="CLOSED", end_reason=None, credits_consumed=0.0, duration=0.0)


@dataclass
class _Services:
    repository: Any = field(default_factory=lambda: SimpleNamespace(avatars=_AvatarRows()))
    liveavatar: _LiveAvatar = field(default_factory=_LiveAvatar)
    settings: Any = field(default_factory=lambda: SimpleNamespace(avatar_quality="medium"))
    owned_avatar_rows: set[str] = field(default_factory=lambda: {"av_1"})
    owned_vendor_sessions: set[str] = field(default_factory=set)
    cleanups: set[asyncio.Task[None]] = field(default_factory=set)

    def keep(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self.cleanups.add(task)
        return task


async def _cancel_at(caller: asyncio.Task[Any], gate: _Gate, services: _Services) -> None:
    """Cancel `caller` once it is inside `gate`'s step, let the step finish, and wait for what the farm kept."""
    await asyncio.wait_for(gate.entered.wait(), 10)
    caller.cancel()
    await asyncio.gather(caller, return_exceptions=True)
    assert caller.cancelled()  # the caller's cancellation is not swallowed
    gate.release.set()
    await asyncio.wait_for(asyncio.gather(*services.cleanups), 10)


async def test_a_refused_mint_closes_its_row_even_when_its_caller_is_cancelled_meanwhile() -> None:
    services = _Services()
    rows = services.repository.avatars
    rows.gate_closing = True
    refused = VendorError("LiveAvatar", "POST /v1/sessions/token answered 500", status=500)
    await _cancel_at(asyncio.create_task(not_minted(services, "room_1", "av_1", refused)), rows.closing, services)  # type: ignore[arg-type]
    status, end_reason = rows.closed["av_1"]
    assert status is AvatarSessionStatus.failed and end_reason.startswith("token: ")
    assert services.owned_avatar_rows == set()


async def test_a_mint_cancelled_while_its_vendor_session_is_recorded_stops_that_session() -> None:
    services = _Services()
    rows = services.repository.avatars
    rows.gate_assigning = True
    minting = mint(services, "room_1", "av_1", avatar_id="a", context_id="c", voice_id=None)  # type: ignore[arg-type]
    await _cancel_at(asyncio.create_task(minting), rows.assigning, services)
    assert rows.vendor_of == {"av_1": "vendor-1"}  # recorded, so the reaper knows it
    assert services.liveavatar.stopped == ["vendor-1"]
    assert "av_1" in rows.closed
    assert services.owned_vendor_sessions == set() and services.owned_avatar_rows == set()
