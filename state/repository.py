"""The typed repository: reads return records from state.models; each write is one transaction that also
appends the event describing it. Each area is an object of its own over the one database, in its own module
(sessions and their rooms, events, transcripts, bots, avatar sessions, materials, professors, Zoom grants,
webhook receivers; and reports, the transcript log, the talk meter, the webhook outbox); Repository only
composes them, so a caller can take just the areas it uses (`repository.events.append(...)`). An area that
records an event with its write does so in the same transaction (Transaction.append_event), never through
another area. Nothing outside state/ touches the database itself: what callers need of it (its event bus, its
schema version, retention, closing) is a method here."""

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
from state.secret_box import SecretBox, SecretBoxSlot
from state.sessions_repository import SessionsRepository
from state.talk_time import TalkTimeLog
from state.transcript_log import TranscriptLog
from state.transcripts_repository import TranscriptsRepository
from state.webhook_outbox import WebhookOutbox
from state.webhook_receivers_repository import WebhookReceiversRepository
from state.zoom_grants_repository import ZoomGrantsRepository

__all__ = ["IdempotencyConflict", "NotFound", "Repository", "RoomClosed", "new_id"]


class Repository:
    """The areas over one database, and what callers need of the database itself."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._secrets = SecretBoxSlot()
        self.sessions = SessionsRepository(db, self._secrets)
        self.events = EventsRepository(db)
        self.transcripts = TranscriptsRepository(db)
        self.bots = BotsRepository(db)
        self.avatars = AvatarSessionsRepository(db)
        self.materials = MaterialsRepository(db)
        self.professors = ProfessorsRepository(db)
        self.zoom_grants = ZoomGrantsRepository(db, self._secrets)
        self.webhook_receivers = WebhookReceiversRepository(db, self._secrets)
        self.reports = Reports(db)
        self.transcript_log = TranscriptLog(db)
        self.talk_time = TalkTimeLog(db)
        self.webhook_outbox = WebhookOutbox(db)

    def use_secret_box(self, box: SecretBox) -> None:
        """Given at start-up: the key that seals passcodes, Zoom tokens and webhook signing secrets at rest."""
        self._secrets.fill(box)

    @property
    def secret_box(self) -> SecretBox:
        return self._secrets.box

    @property
    def bus(self) -> EventBus:
        """Committed events, as they happen (state/event_bus.py)."""
        return self._db.bus

    async def schema_version(self) -> int:
        return await self._db.schema_version()

    async def keep_retention(self, days: float) -> None:
        """Apply the retention period now and every few hours, for as long as the server runs."""
        await keep_retention(self._db, days)

    async def close(self) -> None:
        await self._db.close()
