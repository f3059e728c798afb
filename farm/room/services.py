"""What every room runner of one farm shares: the repository, the settings, the browser node, the vendor clients,
the live media picture, the bot slots, and the vendor sessions and avatar rows live bots own (the reaper leaves
those alone). The farm manager builds one; the room's modules take it, so none of them imports another's runner."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from farm.browsers.browser_node import BrowserNode
from farm.browsers.capacity import Capacity
from farm.room.bot_page_config import PRODUCT_TIMINGS, PageTimings
from farm.room.bot_tickets import BotTickets
from farm.room.live_media import LiveMediaStore
from farm.room.meeting_bots import MeetingBots
from farm.settings import Settings
from farm.vendors.liveavatar_client import LiveAvatarClient
from farm.vendors.zoom_client import ZoomClient
from state.repository import Repository

HEARTBEAT_TIMEOUT_SECONDS = 10.0


@dataclass
class FarmServices:
    """What every runner shares."""

    repository: Repository
    settings: Settings
    node: BrowserNode
    liveavatar: LiveAvatarClient
    zoom: ZoomClient | None
    tickets: BotTickets
    media: LiveMediaStore
    capacity: Capacity
    launching: asyncio.Semaphore
    retry_budget: int = 3
    max_room_seconds: float = 3 * 3600.0
    heartbeat_timeout: float = HEARTBEAT_TIMEOUT_SECONDS
    page_timings: PageTimings = PRODUCT_TIMINGS
    owned_vendor_sessions: set[str] = field(default_factory=set)
    # avatar_sessions rows of live bots, from before the vendor is called: the reaper leaves them alone.
    owned_avatar_rows: set[str] = field(default_factory=set)
    # Clean-ups that must finish even when their runner is cancelled (they stop billing): shutdown awaits them.
    cleanups: set[asyncio.Task[None]] = field(default_factory=set)
    # Meetings known to need an OBF token (a room was refused without one): other rooms join with one at once.
    obf_meetings: set[str] = field(default_factory=set)
    # The Zoom identities of the live bots, by meeting: every page learns which participants are bots.
    meeting_bots: MeetingBots = field(default_factory=MeetingBots)

    def keep(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run `work` to its end whatever happens to its caller; `Farm.stop` waits for it."""
        task = asyncio.create_task(work, name=name)
        self.cleanups.add(task)
        task.add_done_callback(self.cleanups.discard)
        return task
