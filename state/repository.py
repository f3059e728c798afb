"""The typed repository: reads return records from state.models; each write is one transaction that also
appends the event describing it. One class per area, in its own module; Repository is all of them over one
database."""

from __future__ import annotations

from state.avatar_sessions_repository import AvatarSessionsRepository
from state.bots_repository import BotsRepository
from state.database import Database
from state.events_repository import EventsRepository
from state.materials_repository import MaterialsRepository
from state.professors_repository import ProfessorsRepository
from state.rows import IdempotencyConflict, NotFound, RoomClosed, new_id
from state.sessions_repository import SessionsRepository
from state.transcripts_repository import TranscriptsRepository
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
