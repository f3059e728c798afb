"""Professors' own webhook receivers: a URL and its signing secret (stored encrypted, state/secret_box.py),
registered and removed by the professor. The sender (farm/webhooks/sender.py) delivers to each receiver only its
professor's messages; the administrator's receivers get everyone's."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from state.database import Database
from state.rows import NotFound, new_id
from state.secret_box import SecretBox, SecretBoxSlot

MAX_RECEIVERS_PER_PROFESSOR = 5
RECEIVER_ADDED = "webhook.receiver_added"
RECEIVER_REMOVED = "webhook.receiver_removed"


class ReceiverExists(Exception):
    """The professor has a receiver with this URL already."""


class TooManyReceivers(Exception):
    """The professor has MAX_RECEIVERS_PER_PROFESSOR receivers already."""


@dataclass(frozen=True)
class WebhookReceiver:
    id: str
    professor_id: str
    url: str
    created_at: float


@dataclass(frozen=True)
class ActiveReceiver:
    """What the sender needs: the receiver, its secret, and whether it gets everyone's messages (the admin's)."""

    receiver: WebhookReceiver
    secret: str
    everyone: bool


def receiver_key(receiver_id: str) -> str:
    """The receiver's cursor key in the outbox (a server-wide receiver's is its URL)."""
    return f"receiver:{receiver_id}"


def _receiver(row: sqlite3.Row) -> WebhookReceiver:
    return WebhookReceiver(row["id"], row["professor_id"], row["url"], row["created_at"])


class WebhookReceiversRepository:
    def __init__(self, db: Database, box_slot: SecretBoxSlot) -> None:
        self.db = db
        self._secrets = box_slot

    @property
    def secret_box(self) -> SecretBox:  # given at start-up (Repository.use_secret_box)
        return self._secrets.box

    async def add(self, professor_id: str, *, url: str, secret: str) -> WebhookReceiver:
        """Raises ReceiverExists or TooManyReceivers (nothing stored then)."""
        sealed = self.secret_box.encrypt(secret)
        async with self.db.transaction() as tx:
            count = await tx.scalar("SELECT COUNT(*) FROM webhook_receivers WHERE professor_id = ?", (professor_id,))
            if int(count) >= MAX_RECEIVERS_PER_PROFESSOR:
                raise TooManyReceivers(professor_id)
            if await tx.scalar(
                "SELECT 1 FROM webhook_receivers WHERE professor_id = ? AND url = ?", (professor_id, url)
            ):
                raise ReceiverExists(url)
            receiver_id = new_id("whk")
            await tx.execute(
                "INSERT INTO webhook_receivers (id, professor_id, url, secret, created_at) VALUES (?, ?, ?, ?, ?)",
                (receiver_id, professor_id, url, sealed, tx.now),
            )
            await tx.append_event(RECEIVER_ADDED, detail={"receiver_id": receiver_id, "professor_id": professor_id})
            row = await tx.fetchone("SELECT * FROM webhook_receivers WHERE id = ?", (receiver_id,))
        assert row is not None
        return _receiver(row)

    async def of(self, professor_id: str) -> list[WebhookReceiver]:
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT * FROM webhook_receivers WHERE professor_id = ? ORDER BY created_at, id", (professor_id,)
            )
        return [_receiver(r) for r in rows]

    async def remove(self, professor_id: str, receiver_id: str) -> WebhookReceiver:
        """Raises NotFound for another professor's receiver, as for one that does not exist."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "DELETE FROM webhook_receivers WHERE id = ? AND professor_id = ? RETURNING *",
                (receiver_id, professor_id),
            )
            if row is None:
                raise NotFound(f"webhook receiver {receiver_id}")
            await tx.execute("DELETE FROM webhook_cursors WHERE url = ?", (receiver_key(receiver_id),))
            await tx.append_event(RECEIVER_REMOVED, detail={"receiver_id": receiver_id, "professor_id": professor_id})
        return _receiver(row)

    async def active(self) -> list[ActiveReceiver]:
        """Every receiver of an enabled professor, with its secret (for the sender only)."""
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT w.*, p.role FROM webhook_receivers w JOIN professors p ON p.id = w.professor_id "
                "WHERE p.disabled_at IS NULL ORDER BY w.created_at, w.id"
            )
        return [ActiveReceiver(_receiver(r), self.secret_box.decrypt(r["secret"]), r["role"] == "admin") for r in rows]

    async def encrypt_stored_secrets(self) -> int:
        """Re-encrypt with the first key every receiver secret under an older key; returns how many changed."""
        box = self.secret_box
        changed = 0
        async with self.db.transaction() as tx:
            await tx.execute("PRAGMA secure_delete = ON")
            for row in await tx.fetchall("SELECT id, secret FROM webhook_receivers"):
                if not box.is_current(row["secret"]):
                    await tx.execute(
                        "UPDATE webhook_receivers SET secret = ? WHERE id = ?",
                        (box.encrypt(box.decrypt(row["secret"])), row["id"]),
                    )
                    changed += 1
        return changed
