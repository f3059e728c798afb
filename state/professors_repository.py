"""Professors and their API tokens: the admin (row 'admin', whose credential is the bootstrap token) and the
professors it creates; tokens stored by digest only (the caller digests), named, scoped, revocable, with last
use kept."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from state import allowances
from state.allowances import MonthUsage
from state.database import Database
from state.rows import NotFound, new_id

ADMIN_ID = "admin"
READ, WRITE = "read", "write"
# A token's last use is written at most this often (a write per request would cost more than it tells).
LAST_USE_EVERY_SECONDS = 60.0


class EmailTaken(Exception):
    """Another professor already has this email address."""


@dataclass(frozen=True)
class ProfessorAccount:
    id: str
    name: str
    email: str | None
    role: str  # 'admin' or 'professor'
    disabled_at: float | None
    created_at: float
    monthly_credit_allowance: float | None = None
    avatar_id: str | None = None
    voice_id: str | None = None
    teaching_style: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class ApiTokenRecord:
    id: str
    professor_id: str
    name: str
    scope: str  # READ or WRITE
    created_at: float
    last_used_at: float | None
    revoked_at: float | None


def _account(row: sqlite3.Row) -> ProfessorAccount:
    return ProfessorAccount(
        row["id"],
        row["name"],
        row["email"],
        row["role"],
        row["disabled_at"],
        row["created_at"],
        row["monthly_credit_allowance"],
        row["avatar_id"],
        row["voice_id"],
        row["teaching_style"],
    )


def _token(row: sqlite3.Row) -> ApiTokenRecord:
    return ApiTokenRecord(
        row["id"],
        row["professor_id"],
        row["name"],
        row["scope"],
        row["created_at"],
        row["last_used_at"],
        row["revoked_at"],
    )


class ProfessorsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, *, name: str, email: str, token_name: str, token_digest: str
    ) -> tuple[ProfessorAccount, ApiTokenRecord]:
        """A new professor with a first write token (by its digest). Raises EmailTaken."""
        async with self.db.transaction() as tx:
            if await tx.scalar("SELECT 1 FROM professors WHERE email = ? COLLATE NOCASE", (email,)) is not None:
                raise EmailTaken(email)
            professor_id = new_id("prof")
            await tx.execute(
                "INSERT INTO professors (id, name, email, role, created_at) VALUES (?, ?, ?, 'professor', ?)",
                (professor_id, name, email, tx.now),
            )
            token_id = new_id("tok")
            await tx.execute(
                "INSERT INTO api_tokens (id, professor_id, name, scope, digest, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (token_id, professor_id, token_name, WRITE, token_digest, tx.now),
            )
            await tx.append_event("professor.added", detail={"professor_id": professor_id})
            professor = await tx.fetchone("SELECT * FROM professors WHERE id = ?", (professor_id,))
            token = await tx.fetchone("SELECT * FROM api_tokens WHERE id = ?", (token_id,))
        assert professor is not None and token is not None
        return _account(professor), _token(token)

    async def get(self, professor_id: str) -> ProfessorAccount | None:
        async with self.db.snapshot() as reader:
            row = await reader.fetchone("SELECT * FROM professors WHERE id = ?", (professor_id,))
        return None if row is None else _account(row)

    async def by_email(self, email: str) -> ProfessorAccount | None:
        async with self.db.snapshot() as reader:
            row = await reader.fetchone("SELECT * FROM professors WHERE email = ? COLLATE NOCASE", (email,))
        return None if row is None else _account(row)

    async def all(self) -> list[ProfessorAccount]:
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall("SELECT * FROM professors ORDER BY role, created_at, id")
        return [_account(r) for r in rows]

    async def set_disabled(self, professor_id: str, disabled: bool) -> ProfessorAccount:
        """Disable (every token and sign-in of theirs stops working at once) or enable a professor. The admin
        cannot be disabled. Raises NotFound."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE professors SET disabled_at = CASE WHEN ? THEN COALESCE(disabled_at, ?) ELSE NULL END "
                "WHERE id = ? AND role = 'professor'",
                (disabled, tx.now, professor_id),
            )
            if not changed:
                raise NotFound(f"professor {professor_id}")
            await tx.append_event(
                "professor.disabled" if disabled else "professor.enabled", detail={"professor_id": professor_id}
            )
            row = await tx.fetchone("SELECT * FROM professors WHERE id = ?", (professor_id,))
        assert row is not None
        return _account(row)

    async def set_profile(
        self, professor_id: str, *, avatar_id: str, voice_id: str | None, teaching_style: str | None
    ) -> ProfessorAccount:
        """The professor's own avatar, voice and teaching style (their sessions' defaults). Raises NotFound."""
        async with self.db.transaction() as tx:
            if not await tx.execute(
                "UPDATE professors SET avatar_id = ?, voice_id = ?, teaching_style = ? WHERE id = ?",
                (avatar_id, voice_id, teaching_style, professor_id),
            ):
                raise NotFound(f"professor {professor_id}")
            row = await tx.fetchone("SELECT * FROM professors WHERE id = ?", (professor_id,))
        assert row is not None
        return _account(row)

    # ---- monthly credit allowance ----------------------------------------------------------------------------

    async def set_allowance(self, professor_id: str, monthly_credits: float | None) -> ProfessorAccount:
        """Set (None: remove) a professor's monthly credit allowance. Raises NotFound."""
        async with self.db.transaction() as tx:
            if not await tx.execute(
                "UPDATE professors SET monthly_credit_allowance = ? WHERE id = ?", (monthly_credits, professor_id)
            ):
                raise NotFound(f"professor {professor_id}")
            await tx.append_event(
                "professor.allowance_set", detail={"professor_id": professor_id, "monthly_credits": monthly_credits}
            )
            row = await tx.fetchone("SELECT * FROM professors WHERE id = ?", (professor_id,))
        assert row is not None
        return _account(row)

    async def usage_in(self, professor_id: str, month: str) -> MonthUsage:
        async with self.db.snapshot() as reader:
            return await allowances.used_in(reader, professor_id, month)

    async def usage_by_month(self, professor_id: str) -> list[MonthUsage]:
        async with self.db.snapshot() as reader:
            return await allowances.months_of(reader, professor_id)

    # ---- tokens ------------------------------------------------------------------------------------------

    async def add_token(self, professor_id: str, *, name: str, scope: str, digest: str) -> ApiTokenRecord:
        async with self.db.transaction() as tx:
            token_id = new_id("tok")
            await tx.execute(
                "INSERT INTO api_tokens (id, professor_id, name, scope, digest, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (token_id, professor_id, name, scope, digest, tx.now),
            )
            row = await tx.fetchone("SELECT * FROM api_tokens WHERE id = ?", (token_id,))
        assert row is not None
        return _token(row)

    async def tokens_of(self, professor_id: str) -> list[ApiTokenRecord]:
        async with self.db.snapshot() as reader:
            rows = await reader.fetchall(
                "SELECT * FROM api_tokens WHERE professor_id = ? ORDER BY created_at, id", (professor_id,)
            )
        return [_token(r) for r in rows]

    async def revoke_token(self, professor_id: str, token_id: str) -> ApiTokenRecord:
        """Revoke one of the professor's tokens (again is no change). Raises NotFound for another's token."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT * FROM api_tokens WHERE id = ? AND professor_id = ?", (token_id, professor_id)
            )
            if row is None:
                raise NotFound(f"token {token_id}")
            await tx.execute(
                "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", (tx.now, token_id)
            )
            row = await tx.fetchone("SELECT * FROM api_tokens WHERE id = ?", (token_id,))
        assert row is not None
        return _token(row)

    async def token_holder(self, digest: str) -> tuple[ApiTokenRecord, ProfessorAccount] | None:
        """The live token with this digest and its professor; None when unknown, revoked or the professor is
        disabled."""
        async with self.db.snapshot() as reader:
            row = await reader.fetchone(
                "SELECT t.*, p.name AS p_name, p.email AS p_email, p.role AS p_role, p.created_at AS p_created "
                "FROM api_tokens t JOIN professors p ON p.id = t.professor_id "
                "WHERE t.digest = ? AND t.revoked_at IS NULL AND p.disabled_at IS NULL",
                (digest,),
            )
        if row is None:
            return None
        account = ProfessorAccount(
            row["professor_id"], row["p_name"], row["p_email"], row["p_role"], None, row["p_created"]
        )
        return _token(row), account

    async def live_token(self, token_id: str) -> tuple[ApiTokenRecord, ProfessorAccount] | None:
        """Like token_holder, by id (a dashboard sign-in names the token it was made with)."""
        async with self.db.snapshot() as reader:
            digest = await reader.scalar("SELECT digest FROM api_tokens WHERE id = ?", (token_id,))
        return None if digest is None else await self.token_holder(str(digest))

    async def token_used(self, token: ApiTokenRecord, now: float) -> None:
        if token.last_used_at is not None and now - token.last_used_at < LAST_USE_EVERY_SECONDS:
            return
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (now, token.id))
