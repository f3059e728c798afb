"""Zoom OAuth grants (secret: they never leave the server)."""

from __future__ import annotations

from state.database import Database
from state.models import (
    ZoomGrant,
)


class ZoomGrantsRepository:
    db: Database

    async def save_zoom_grant(
        self,
        *,
        user_id: str,
        email: str | None,
        refresh_token: str,
        access_token: str | None,
        access_expires_at: float | None,
    ) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                """INSERT INTO zoom_grants (user_id, email, refresh_token, access_token, access_expires_at,
                       created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET email = excluded.email,
                       refresh_token = excluded.refresh_token, access_token = excluded.access_token,
                       access_expires_at = excluded.access_expires_at, updated_at = excluded.updated_at""",
                (user_id, email, refresh_token, access_token, access_expires_at, tx.now, tx.now),
            )
            await tx.append_event("zoom.authorized", detail={"user_id": user_id, "email": email})

    async def zoom_grant(self) -> ZoomGrant | None:
        """The most recently updated grant (one professor per server)."""
        async with self.db.snapshot() as reader:
            row = await reader.fetchone("SELECT * FROM zoom_grants ORDER BY updated_at DESC LIMIT 1")
        if row is None:
            return None
        return ZoomGrant(
            user_id=row["user_id"],
            email=row["email"],
            refresh_token=row["refresh_token"],
            access_token=row["access_token"],
            access_expires_at=row["access_expires_at"],
            updated_at=row["updated_at"],
        )

    async def forget_zoom_grant(self, user_id: str) -> bool:
        async with self.db.transaction() as tx:
            removed = await tx.execute("DELETE FROM zoom_grants WHERE user_id = ?", (user_id,))
            if removed:
                await tx.append_event("zoom.forgotten", detail={"user_id": user_id})
        return bool(removed)
