"""The webhook outbox: every change a webhook reports is first written here, in the change's own transaction.

`enqueue` is called by `Transaction.append_event` for the event kinds that are webhook types (room.status,
transcript → transcript.line, session.ended, allowance.warning at 80 % of a professor's monthly credits), so
no change commits without its message and no message exists for a change that rolled back. `WebhookOutbox` is
what the sender (farm/webhooks/sender.py) reads and moves along: one cursor per receiver, so messages go to each
receiver in order. Each message carries its owner (the professor of the event's session); a cursor with an owner
(a professor's own receiver) follows only that professor's messages, one without (a server-wide receiver, the
administrator's) follows everyone's.

Cursor moves are meters (no event each, like the usage meter); giving a message up is an event.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from state.models import Event

if TYPE_CHECKING:
    from state.database import Database, Transaction

# Event kind in the log → webhook event type.
WEBHOOK_TYPES = {
    "room.status": "room.status",
    "transcript": "transcript.line",
    "session.ended": "session.ended",
    "allowance.warning": "allowance.warning",
}
GIVEN_UP_EVENT = "webhook.given_up"


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat().replace("+00:00", "Z")


def new_webhook_id() -> str:
    return f"msg_{secrets.token_urlsafe(18)}"


@dataclass(frozen=True)
class WebhookMessage:
    id: int
    webhook_id: str
    type: str
    payload: str  # the exact JSON body that is signed and sent
    created_at: float


@dataclass(frozen=True)
class Cursor:
    url: str  # the receiver's key: its URL for a server-wide receiver, 'receiver:<id>' for a professor's
    delivered_through: int
    attempts: int
    next_attempt_at: float
    last_error: str | None
    owner_id: str | None = None  # whose messages it follows; None: everyone's


async def _room_name(tx: Transaction, room_id: str | None) -> str | None:
    if room_id is None:
        return None
    name = await tx.scalar("SELECT name FROM rooms WHERE id = ?", (room_id,))
    return None if name is None else str(name)


async def _data(tx: Transaction, event: Event) -> dict[str, Any]:
    d = event.detail
    if event.kind == "allowance.warning":
        return {
            "professor_id": d.get("professor_id"),
            "month": d.get("month"),
            "credits_used": d.get("credits_used"),
            "allowance": d.get("allowance"),
            "percent": d.get("percent"),
            "session_id": event.session_id,
        }
    if event.kind == "room.status":
        return {
            "session_id": event.session_id,
            "room_id": event.room_id,
            "room": await _room_name(tx, event.room_id),
            "status": d.get("status"),
            "previous": d.get("previous"),
            "reason": d.get("reason"),
            "reason_text": d.get("reason_text"),
        }
    if event.kind == "transcript":
        return {
            "session_id": event.session_id,
            "room_id": event.room_id,
            "room": await _room_name(tx, event.room_id),
            "line_id": d.get("line_id"),
            "time": iso(float(d.get("time", event.time))),
            "speaker": d.get("speaker"),
            "role": d.get("role"),
            "text": d.get("text"),
            "source": d.get("source", "live"),
        }
    rooms = await tx.fetchall(
        "SELECT id, name, status, reason FROM rooms WHERE session_id = ? ORDER BY position", (event.session_id,)
    )
    return {
        "session_id": event.session_id,
        "reason": d.get("reason"),
        "ended_at": iso(event.time),
        "rooms": [{"room_id": r["id"], "room": r["name"], "status": r["status"], "reason": r["reason"]} for r in rooms],
    }


async def enqueue(tx: Transaction, event: Event) -> None:
    """Write the webhook message for `event` if its kind is reported (called inside the event's transaction)."""
    webhook_type = WEBHOOK_TYPES.get(event.kind)
    if webhook_type is None:
        return
    body = {"type": webhook_type, "timestamp": iso(event.time), "data": await _data(tx, event)}
    owner = None
    if event.session_id is not None:
        owner = await tx.scalar("SELECT owner_id FROM sessions WHERE id = ?", (event.session_id,))
    await tx.execute(
        "INSERT INTO webhook_messages (webhook_id, event_id, type, payload, created_at, owner_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            new_webhook_id(),
            event.id,
            webhook_type,
            json.dumps(body, separators=(",", ":"), ensure_ascii=False),
            event.time,
            owner,
        ),
    )


def _message(row: Any) -> WebhookMessage:
    return WebhookMessage(row["id"], row["webhook_id"], row["type"], row["payload"], row["created_at"])


def _cursor(row: Any) -> Cursor:
    return Cursor(
        row["url"],
        row["delivered_through"],
        row["attempts"],
        row["next_attempt_at"],
        row["last_error"],
        row["owner_id"],
    )


class WebhookOutbox:
    """The sender's view of the outbox, over the shared Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def open_cursor(self, url: str, owner_id: str | None = None) -> Cursor:
        """The receiver's cursor (`url`: its key), following `owner_id`'s messages (None: everyone's); a receiver
        seen for the first time starts after the messages already written."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO webhook_cursors (url, delivered_through, updated_at, owner_id) "
                "SELECT ?, COALESCE(MAX(id), 0), ?, ? FROM webhook_messages WHERE 1 "
                "ON CONFLICT (url) DO NOTHING",
                (url, tx.now, owner_id),
            )
            row = await tx.fetchone("SELECT * FROM webhook_cursors WHERE url = ?", (url,))
        assert row is not None
        return _cursor(row)

    async def next_for(self, url: str) -> tuple[Cursor, WebhookMessage | None]:
        async with self.db.snapshot() as reader:
            row = await reader.fetchone("SELECT * FROM webhook_cursors WHERE url = ?", (url,))
            if row is None:
                raise LookupError(f"no webhook cursor for {url}")
            cursor = _cursor(row)
            if cursor.owner_id is None:
                message = await reader.fetchone(
                    "SELECT * FROM webhook_messages WHERE id > ? ORDER BY id LIMIT 1", (cursor.delivered_through,)
                )
            else:
                message = await reader.fetchone(
                    "SELECT * FROM webhook_messages WHERE owner_id = ? AND id > ? ORDER BY id LIMIT 1",
                    (cursor.owner_id, cursor.delivered_through),
                )
        return cursor, None if message is None else _message(message)

    async def delivered(self, url: str, message: WebhookMessage) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE webhook_cursors SET delivered_through = ?, attempts = 0, next_attempt_at = 0, "
                "last_error = NULL, updated_at = ? WHERE url = ? AND delivered_through < ?",
                (message.id, tx.now, url, message.id),
            )

    async def failed(self, url: str, message: WebhookMessage, *, error: str, retry_at: float) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE webhook_cursors SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, "
                "updated_at = ? WHERE url = ? AND delivered_through < ?",
                (retry_at, error[:500], tx.now, url, message.id),
            )

    async def give_up(self, url: str, message: WebhookMessage, *, shown_url: str, error: str) -> None:
        """Pass over a message whose retry budget is spent, and record that as an event (same transaction)."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone("SELECT attempts FROM webhook_cursors WHERE url = ?", (url,))
            attempts = (int(row["attempts"]) if row else 0) + 1
            await tx.execute(
                "UPDATE webhook_cursors SET delivered_through = ?, attempts = 0, next_attempt_at = 0, "
                "last_error = NULL, updated_at = ? WHERE url = ? AND delivered_through < ?",
                (message.id, tx.now, url, message.id),
            )
            origin = await tx.fetchone(
                "SELECT e.session_id, e.room_id FROM webhook_messages m JOIN events e ON e.id = m.event_id "
                "WHERE m.id = ?",
                (message.id,),
            )
            await tx.append_event(
                GIVEN_UP_EVENT,
                session_id=origin["session_id"] if origin else None,
                room_id=origin["room_id"] if origin else None,
                detail={
                    "url": shown_url,
                    "webhook_id": message.webhook_id,
                    "type": message.type,
                    "attempts": attempts,
                    "error": error[:500],
                },
            )

    async def prune(self, urls: list[str], *, older_than: float) -> int:
        """Delete messages written before `older_than` that every configured receiver (by key) is done with: a
        receiver that follows one professor is done with every other professor's messages."""
        async with self.db.transaction() as tx:
            if urls:
                marks = ",".join("?" for _ in urls)
                started = await tx.scalar(f"SELECT COUNT(*) FROM webhook_cursors WHERE url IN ({marks})", urls)
                if int(started) < len(urls):  # a receiver has not started yet
                    return 0
                return await tx.execute(
                    "DELETE FROM webhook_messages WHERE created_at < ? AND NOT EXISTS ("
                    f"SELECT 1 FROM webhook_cursors c WHERE c.url IN ({marks}) "
                    "AND c.delivered_through < webhook_messages.id "
                    "AND (c.owner_id IS NULL OR c.owner_id IS webhook_messages.owner_id))",
                    (older_than, *urls),
                )
            done = await tx.scalar("SELECT COALESCE(MAX(id), 0) FROM webhook_messages")
            return await tx.execute(
                "DELETE FROM webhook_messages WHERE id <= ? AND created_at < ?", (int(done), older_than)
            )
