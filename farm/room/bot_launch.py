"""Launching one bot: its short-lived Zoom credentials, its page configuration behind a one-time ticket, and its
Chromium on the browser node. No avatar is started here: a bot joins Zoom first, and its page asks for an
avatar only from its breakout room (farm/room/avatar_sessions.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from farm.browsers.browser_node import BotBrowser, BrowserNode, NodeLost, PageLoadFailed
from farm.browsers.console_lines import launch_failure
from farm.browsers.launch_failure_words import launch_failure_words
from farm.room.bot_page_config import BotCredentials, PageTimings, bot_page_config
from farm.room.bot_tickets import BotTickets
from farm.settings import Settings
from farm.vendors.vendor_http import VendorError
from farm.vendors.zoom_client import ZoomClient, ZoomNotAuthorized
from farm.vendors.zoom_signature import meeting_signature
from state.models import Room, Session

log = logging.getLogger("avatarfarm.farm")


class LaunchServices(Protocol):
    """What a launch reads of the farm's shared services (FarmServices has all of it)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def tickets(self) -> BotTickets: ...
    @property
    def node(self) -> BrowserNode: ...
    @property
    def launching(self) -> asyncio.Semaphore: ...
    @property
    def zoom(self) -> ZoomClient | None: ...
    @property
    def page_timings(self) -> PageTimings: ...


@dataclass(frozen=True)
class LaunchRefused:
    """Why a bot could not be launched: a cause for the recovery policy and words for the professor."""

    reason: str
    words: str


async def launch_bot(
    services: LaunchServices,
    *,
    session: Session,
    room: Room,
    bot_id: str,
    with_obf: bool,
    on_report: Callable[[dict[str, Any]], None],
    on_notice: Callable[[str, dict[str, Any]], None],
) -> BotBrowser | LaunchRefused:
    if not session.meeting.number:
        return LaunchRefused("meeting_not_found", "The session has no meeting yet (creating it failed).")
    obf = None
    if with_obf and services.zoom is not None:
        try:
            obf = await services.zoom.obf_token(session.meeting.number, session.owner_id)
        except (VendorError, ZoomNotAuthorized) as exc:
            return LaunchRefused("obf_required", f"Could not get an OBF token: {exc}")
    settings = services.settings
    config = bot_page_config(
        settings,
        bot_id=bot_id,
        room_id=room.id,
        room_name=room.name,
        professor_name=session.professor.name,
        meeting_number=session.meeting.number,
        passcode=session.meeting.passcode,
        credentials=BotCredentials(
            meeting_signature=meeting_signature(
                sdk_key=settings.zoom_sdk_key or "",
                sdk_secret=settings.zoom_sdk_secret.get_secret_value() if settings.zoom_sdk_secret else "",
                meeting_number=session.meeting.number,
            ),
            obf_token=obf,
        ),
        timings=services.page_timings,
    )
    issued: list[str] = []

    def page_url() -> str:
        # Issued once the browser is ready, not before its launch: the ticket's minute is for loading the page.
        issued.append(services.tickets.issue(config))
        return f"{settings.base_url}/bot/{issued[-1]}"

    deadline: asyncio.Timeout | None = None
    try:
        async with services.launching:
            # Its clock starts with its turn to launch: waiting for another room's launch is not this one's delay.
            async with asyncio.timeout(settings.launch_timeout_seconds) as deadline:
                return await services.node.open_bot(
                    f"{session.id}/{room.name}", page_url, on_report=on_report, on_notice=on_notice, room_id=room.id
                )
    except BaseException as exc:
        # A page that did not load leaves no usable ticket behind, whatever the reason (cancellation included).
        for ticket in issued:
            services.tickets.revoke(ticket)
        if isinstance(exc, TimeoutError) and deadline is not None and deadline.expired():
            seconds = settings.launch_timeout_seconds
            log.warning("the bot of room %s did not start within %.0f s; given up", room.id, seconds)
            return LaunchRefused("launch_failed", f"The bot's browser did not start within {seconds:.0f} s.")
        if isinstance(exc, NodeLost):
            return LaunchRefused("node_lost", str(exc))
        if isinstance(exc, PageLoadFailed):
            log.warning("the bot page of room %s did not load: HTTP %d", room.id, exc.status)
            return LaunchRefused("launch_failed", f"The bot's page did not load (HTTP {exc.status}).")
        if isinstance(exc, Exception):  # Playwright raises its own error types for a failed launch
            log.warning("could not launch a bot for room %s: %s", room.id, launch_failure(exc))
            return LaunchRefused(
                "launch_failed", f"The bot's browser could not be started: {launch_failure_words(exc)}."
            )
        raise
