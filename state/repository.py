"""The typed repository: reads return records from state.models; each write is one transaction that also
appends the event describing it. One class per area, in its own module; Repository is all of them over one
database, and holds the areas kept as objects of their own (reports, the transcript log, the talk meter, the
webhook outbox). Nothing outside state/ touches the database itself: what callers need of it (its event bus,
its schema version, retention, closing) is a method here."""

from __future__ import annotations

from state.avatar_sessions_repository import AvatarSessionsRepository
from state.bots_repository import BotsRepository
from state.database import Database
from state.event_bus import EventBus
from state.events_repository import EventsRepository
from state.materials_repository import MaterialsRepository
from state.professors_repository import ProfessorsRepository
from state.reports import Reports
from state.retention import keep_retention
from state.rows import IdempotencyConflict, NotFound, RoomClosed, new_id
from state.sessions_repository import SessionsRepository
from state.talk_time import TalkTimeLog
from state.transcript_log import TranscriptLog
from state.transcripts_repository import TranscriptsRepository
from state.webhook_outbox import WebhookOutbox
from state.webhook_receivers_repository import WebhookReceiversRepository
from state.zoom_grants_repository import ZoomGrantsRepository

__all__ = ["IdempotencyConflict", "NotFound", "Repository", "RoomClosed", "new_id"]


class Repository(
    SessionsRepository,
    EventsRepository,
    TranscriptsRepository,
    BotsRepository,
    AvatarSessionsRepository,
    ZoomGrantsRepository,
    MaterialsRepository,
    ProfessorsRepository,
    WebhookReceiversRepository,
):
    def __init__(self, db: Database) -> None:
        self.db = db
        self.reports = Reports(db)
        self.transcript_log = TranscriptLog(db)
        self.talk_time = TalkTimeLog(db)
        self.webhook_outbox = WebhookOutbox(db)

    @property
    def bus(self) -> EventBus:
        """Committed events, as they happen (state/event_bus.py)."""
        return self.db.bus

    async def schema_version(self) -> int:
        return await self.db.schema_version()

    async def keep_retention(self, days: float) -> None:
        """Apply the retention period now and every few hours, for as long as the server runs."""
        await keep_retention(self.db, days)

    async def close(self) -> None:
        await self.db.close()
