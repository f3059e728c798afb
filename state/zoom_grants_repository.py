"""Zoom OAuth grants (secret: they never leave the server), one per professor, the authorizations in progress
and the grants parked until the professor confirms a change of Zoom account.

A Zoom account is connected to at most one professor (ZoomAccountTaken): Zoom rotates refresh tokens, so two
professors holding the same account's grant would each break the other's at their next refresh.

Tokens and PKCE verifiers are stored encrypted (state/secret_box.py): the repository needs its SecretBox
(`use_secret_box`) before it touches them, and `encrypt_stored_zoom_grants` re-encrypts at start-up any row
written in plaintext by an older version or with an older key.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from state.database import Database, Transaction
from state.models import ZoomGrant
from state.secret_box import SecretBox, SecretBoxSlot

PENDING_GRANT_SECONDS = 15 * 60


class ZoomAccountTaken(Exception):
    """This Zoom account is connected to another professor of this avatarfarm."""


@dataclass(frozen=True)
class ZoomOAuthState:
    """An authorization in progress, as the callback finds it (once)."""

    professor_id: str
    session_nonce: str
    browser_hash: str
    code_verifier: str
    expires_at: float


@dataclass(frozen=True)
class PendingZoomGrant:
    """A grant of another Zoom account than the connected one, waiting for the professor's yes or no."""

    id: str
    professor_id: str
    session_nonce: str
    user_id: str
    email: str | None
    refresh_token: str
    access_token: str | None
    access_expires_at: float | None
    expires_at: float


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


class ZoomGrantsRepository:
    def __init__(self, db: Database, box_slot: SecretBoxSlot) -> None:
        self.db = db
        self._secrets = box_slot

    @property
    def secret_box(self) -> SecretBox:  # given at start-up (Repository.use_secret_box)
        return self._secrets.box

    def _seal(self, value: str | None) -> str | None:
        return None if value is None else self.secret_box.encrypt(value)

    def _open(self, value: str | None) -> str | None:
        return None if value is None else self.secret_box.decrypt(value)

    # ---- grants -------------------------------------------------------------------------------------------

    async def save(
        self,
        *,
        professor_id: str,
        user_id: str,
        email: str | None,
        refresh_token: str,
        access_token: str | None,
        access_expires_at: float | None,
    ) -> None:
        """Store (or refresh) the professor's grant: it replaces any grant of theirs of another Zoom account.
        Raises ZoomAccountTaken when another professor has this Zoom account connected (nothing changes)."""
        sealed_refresh, sealed_access = self._seal(refresh_token), self._seal(access_token)
        async with self.db.transaction() as tx:
            await _store_grant(
                tx,
                professor_id=professor_id,
                user_id=user_id,
                email=email,
                sealed_refresh=sealed_refresh,
                sealed_access=sealed_access,
                access_expires_at=access_expires_at,
            )

    async def get(self, professor_id: str) -> ZoomGrant | None:
        """The professor's grant, or None when they have not connected Zoom."""
        async with self.db.snapshot() as reader:
            row = await reader.fetchone("SELECT * FROM zoom_grants WHERE professor_id = ?", (professor_id,))
        if row is None:
            return None
        return ZoomGrant(
            user_id=row["user_id"],
            email=row["email"],
            refresh_token=self.secret_box.decrypt(row["refresh_token"]),
            access_token=self._open(row["access_token"]),
            access_expires_at=row["access_expires_at"],
            updated_at=row["updated_at"],
            professor_id=row["professor_id"],
        )

    async def account_taken(self, user_id: str, professor_id: str) -> bool:
        """Whether another professor than `professor_id` has the Zoom account `user_id` connected."""
        async with self.db.snapshot() as reader:
            holder = await reader.scalar(
                "SELECT professor_id FROM zoom_grants WHERE user_id = ? AND professor_id != ?", (user_id, professor_id)
            )
        return holder is not None

    async def forget(self, professor_id: str) -> bool:
        async with self.db.transaction() as tx:
            row = await tx.fetchone("DELETE FROM zoom_grants WHERE professor_id = ? RETURNING user_id", (professor_id,))
            if row is not None:
                await tx.append_event(
                    "zoom.forgotten", detail={"user_id": row["user_id"], "professor_id": professor_id}
                )
        return row is not None

    async def encrypt_stored(self) -> int:
        """Encrypt with the first key every token that is in plaintext or under an older key; returns how many
        rows changed. Raises SecretKeyError when a value cannot be decrypted with any key."""
        box = self.secret_box
        changed = 0
        async with self.db.transaction() as tx:
            # The rewritten rows' old bytes are zeroed, not left in free space (the caller then checkpoints).
            await tx.execute("PRAGMA secure_delete = ON")
            for table, key in (("zoom_grants", "user_id"), ("zoom_pending_grants", "id")):
                for row in await tx.fetchall(f"SELECT {key}, refresh_token, access_token FROM {table}"):
                    values = [row["refresh_token"], row["access_token"]]
                    if all(value is None or box.is_current(value) for value in values):
                        continue
                    refresh, access = (None if v is None else box.encrypt(box.decrypt(v)) for v in values)
                    await tx.execute(
                        f"UPDATE {table} SET refresh_token = ?, access_token = ? WHERE {key} = ?",
                        (refresh, access, row[key]),
                    )
                    changed += 1
            for row in await tx.fetchall("SELECT state_hash, code_verifier FROM zoom_oauth_states"):
                if not box.is_current(row["code_verifier"]):
                    await tx.execute(
                        "UPDATE zoom_oauth_states SET code_verifier = ? WHERE state_hash = ?",
                        (box.encrypt(box.decrypt(row["code_verifier"])), row["state_hash"]),
                    )
                    changed += 1
        return changed

    # ---- authorizations in progress -----------------------------------------------------------------------

    async def save_oauth_state(
        self,
        *,
        state: str,
        professor_id: str,
        session_nonce: str,
        browser_hash: str,
        code_verifier: str,
        expires_at: float,
    ) -> None:
        sealed = self.secret_box.encrypt(code_verifier)
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM zoom_oauth_states WHERE expires_at < ?", (tx.now,))
            await tx.execute(
                """INSERT INTO zoom_oauth_states (state_hash, professor_id, session_nonce, browser_hash,
                       code_verifier, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (state_hash(state), professor_id, session_nonce, browser_hash, sealed, expires_at, tx.now),
            )

    async def take_oauth_state(self, state: str) -> ZoomOAuthState | None:
        """The authorization `state` names, removed in the same transaction: a second call finds nothing."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "DELETE FROM zoom_oauth_states WHERE state_hash = ? "
                "RETURNING professor_id, session_nonce, browser_hash, code_verifier, expires_at",
                (state_hash(state),),
            )
        if row is None:
            return None
        return ZoomOAuthState(
            professor_id=row["professor_id"],
            session_nonce=row["session_nonce"],
            browser_hash=row["browser_hash"],
            code_verifier=self.secret_box.decrypt(row["code_verifier"]),
            expires_at=row["expires_at"],
        )

    # ---- grants waiting for confirmation ------------------------------------------------------------------

    async def park(
        self,
        *,
        professor_id: str,
        session_nonce: str,
        user_id: str,
        email: str | None,
        refresh_token: str,
        access_token: str | None,
        access_expires_at: float | None,
    ) -> str:
        """Keep a grant aside until the dashboard session confirms it; returns its id. One per session."""
        pending_id = secrets.token_urlsafe(16)
        sealed_refresh, sealed_access = self._seal(refresh_token), self._seal(access_token)
        async with self.db.transaction() as tx:
            await tx.execute(
                "DELETE FROM zoom_pending_grants WHERE session_nonce = ? OR expires_at < ?", (session_nonce, tx.now)
            )
            await tx.execute(
                """INSERT INTO zoom_pending_grants (id, professor_id, session_nonce, user_id, email, refresh_token,
                       access_token, access_expires_at, expires_at, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    pending_id,
                    professor_id,
                    session_nonce,
                    user_id,
                    email,
                    sealed_refresh,
                    sealed_access,
                    access_expires_at,
                    tx.now + PENDING_GRANT_SECONDS,
                    tx.now,
                ),
            )
        return pending_id

    async def pending(self, session_nonce: str) -> PendingZoomGrant | None:
        """The grant this dashboard session parked, if it has not expired."""
        async with self.db.snapshot() as reader:
            row = await reader.fetchone(
                "SELECT * FROM zoom_pending_grants WHERE session_nonce = ? AND expires_at >= ?",
                (session_nonce, time.time()),
            )
        if row is None:
            return None
        return PendingZoomGrant(
            id=row["id"],
            professor_id=row["professor_id"],
            session_nonce=row["session_nonce"],
            user_id=row["user_id"],
            email=row["email"],
            refresh_token=self.secret_box.decrypt(row["refresh_token"]),
            access_token=self._open(row["access_token"]),
            access_expires_at=row["access_expires_at"],
            expires_at=row["expires_at"],
        )

    async def drop_pending(self, pending_id: str, session_nonce: str) -> bool:
        async with self.db.transaction() as tx:
            removed = await tx.execute(
                "DELETE FROM zoom_pending_grants WHERE id = ? AND session_nonce = ?", (pending_id, session_nonce)
            )
        return bool(removed)

    async def confirm_pending(self, pending_id: str, session_nonce: str) -> PendingZoomGrant | None:
        """Make the parked grant its professor's grant (one transaction); None when it is gone or not this
        session's. Raises ZoomAccountTaken when another professor connected that Zoom account meanwhile."""
        pending = await self.pending(session_nonce)
        if pending is None or pending.id != pending_id:
            return None
        async with self.db.transaction() as tx:
            if not await tx.execute("DELETE FROM zoom_pending_grants WHERE id = ?", (pending_id,)):
                return None
            await _store_grant(
                tx,
                professor_id=pending.professor_id,
                user_id=pending.user_id,
                email=pending.email,
                sealed_refresh=self._seal(pending.refresh_token),
                sealed_access=self._seal(pending.access_token),
                access_expires_at=pending.access_expires_at,
            )
        return pending


async def _store_grant(
    tx: Transaction,
    *,
    professor_id: str,
    user_id: str,
    email: str | None,
    sealed_refresh: str | None,
    sealed_access: str | None,
    access_expires_at: float | None,
) -> None:
    holder = await tx.scalar(
        "SELECT professor_id FROM zoom_grants WHERE user_id = ? AND professor_id != ?", (user_id, professor_id)
    )
    if holder is not None:
        raise ZoomAccountTaken(user_id)
    await tx.execute(
        """INSERT INTO zoom_grants (professor_id, user_id, email, refresh_token, access_token, access_expires_at,
               created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (professor_id) DO UPDATE SET user_id = excluded.user_id, email = excluded.email,
               refresh_token = excluded.refresh_token, access_token = excluded.access_token,
               access_expires_at = excluded.access_expires_at, updated_at = excluded.updated_at""",
        (professor_id, user_id, email, sealed_refresh, sealed_access, access_expires_at, tx.now, tx.now),
    )
    await tx.append_event("zoom.authorized", detail={"user_id": user_id, "email": email, "professor_id": professor_id})
