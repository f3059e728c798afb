"""Migration 0008 (a Zoom grant per professor): the one grant of an older database becomes the admin's, and a
Zoom account can then serve only one professor."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest
from cryptography.fernet import Fernet

from state.database import Database
from state.migrations import migrate
from state.professors_repository import ADMIN_ID
from state.repository import Repository
from state.secret_box import parse_keys
from state.zoom_grants_repository import ZoomAccountTaken

BEFORE = 7


async def test_the_grant_of_an_older_database_becomes_the_admins(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    box = parse_keys(Fernet.generate_key().decode(), "test")
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute("PRAGMA foreign_keys = ON")
        await migrate(conn, target=BEFORE)
        # That version used the most recently updated grant; an older one could linger after a reconnect.
        for user, refresh, updated in (("zoom-old", "r-old", 1.0), ("zoom-new", "r-new", 2.0)):
            await conn.execute(
                "INSERT INTO zoom_grants (user_id, email, refresh_token, created_at, updated_at) "
                "VALUES (?, ?, ?, 0, ?)",
                (user, f"{user}@uni.test", box.encrypt(refresh), updated),
            )
        await conn.execute(
            "INSERT INTO zoom_oauth_states (state_hash, session_nonce, browser_hash, code_verifier, expires_at, "
            "created_at) VALUES ('h', 'n', 'b', ?, 1e10, 0)",
            (box.encrypt("v"),),
        )
    db = await Database.open(path)
    try:
        repository = Repository(db)
        repository.use_secret_box(box)
        grant = await repository.zoom_grants.get(ADMIN_ID)
        assert grant is not None and (grant.user_id, grant.refresh_token) == ("zoom-new", "r-new")
        async with db.snapshot() as reader:
            assert await reader.scalar("SELECT COUNT(*) FROM zoom_grants") == 1
            assert await reader.scalar("SELECT professor_id FROM zoom_oauth_states") == ADMIN_ID
        professor, _ = await repository.professors.add(
            name="Prof. Bea", email="bea@uni.test", token_name="first", token_digest="b" * 64
        )
        assert await repository.zoom_grants.get(professor.id) is None
        with pytest.raises(ZoomAccountTaken):
            await repository.zoom_grants.save(
                professor_id=professor.id,
                user_id="zoom-new",
                email=None,
                refresh_token="r",
                access_token=None,
                access_expires_at=None,
            )
        assert await repository.zoom_grants.account_taken("zoom-new", professor.id)
        assert not await repository.zoom_grants.account_taken("zoom-new", ADMIN_ID)
    finally:
        await db.close()
