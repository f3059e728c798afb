"""What the professor and token routes take and answer. A token's secret appears only in the answer that made
it (TokenCreated), never again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas import IDENTIFIER, Strict, strict_config
from state.professors_repository import ApiTokenRecord, ProfessorAccount

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


class ProfessorCreate(Strict):
    model_config = strict_config({"examples": [{"name": "Prof. Grace Hopper", "email": "hopper@cs.example.edu"}]})

    name: str = Field(min_length=1, max_length=200, description="As students should hear it.")
    email: str = Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN, description="One account per address.")


class ProfessorOut(BaseModel):
    id: str
    name: str
    email: str | None
    role: Literal["admin", "professor"]
    disabled: bool
    created_at: datetime
    monthly_credit_allowance: float | None = Field(
        description="LiveAvatar credits their avatars may use per calendar month (UTC); null: no allowance."
    )

    @classmethod
    def of(cls, p: ProfessorAccount) -> ProfessorOut:
        return cls(
            id=p.id,
            name=p.name,
            email=p.email,
            role="admin" if p.is_admin else "professor",
            disabled=not p.enabled,
            created_at=datetime.fromtimestamp(p.created_at, tz=UTC),
            monthly_credit_allowance=p.monthly_credit_allowance,
        )


class ProfessorList(BaseModel):
    professors: list[ProfessorOut]


class TokenCreate(Strict):
    model_config = strict_config({"examples": [{"name": "grading script", "scope": "read"}]})

    name: str = Field(min_length=1, max_length=100, description="What the token is for, to recognise it later.")
    scope: Literal["read", "write"] = Field(
        default="write", description="'read': may only read; 'write': may also start and end sessions."
    )


class TokenOut(BaseModel):
    id: str
    name: str
    scope: Literal["read", "write"]
    created_at: datetime
    last_used_at: datetime | None = Field(description="To the minute.")
    revoked_at: datetime | None

    @classmethod
    def of(cls, t: ApiTokenRecord) -> TokenOut:
        return cls(
            id=t.id,
            name=t.name,
            scope="read" if t.scope == "read" else "write",
            created_at=datetime.fromtimestamp(t.created_at, tz=UTC),
            last_used_at=_time(t.last_used_at),
            revoked_at=_time(t.revoked_at),
        )


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself: shown this once, stored only as a digest. Keep it safe.")


class TokenList(BaseModel):
    tokens: list[TokenOut]


class ProfessorCreated(BaseModel):
    professor: ProfessorOut
    token: TokenCreated


class ProfileIn(Strict):
    """The professor's own clone, used by their sessions unless a session names another."""

    model_config = strict_config(
        {
            "examples": [
                {
                    "avatar_id": "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a",
                    "voice_id": "en-gb-warm",
                    "teaching_style": "Socratic: asks for reasoning before answering.",
                }
            ]
        }
    )

    avatar_id: str = Field(
        min_length=1, max_length=100, pattern=IDENTIFIER, description="LiveAvatar avatar id of the professor's clone."
    )
    voice_id: str | None = Field(
        None, min_length=1, max_length=100, pattern=IDENTIFIER, description="Used with this avatar; empty: its own."
    )
    teaching_style: str | None = Field(None, max_length=2000, description="How the clone should teach.")


class ProfileOut(BaseModel):
    avatar_id: str
    voice_id: str | None
    teaching_style: str | None


class Me(BaseModel):
    professor: ProfessorOut
    profile: ProfileOut | None = Field(description="The professor's own avatar, voice and teaching style, if set.")
    scope: Literal["read", "write"] = Field(description="What the credential of this request may do.")
    bootstrap: bool = Field(description="Whether the request used the bootstrap token (the administrator's).")


class AllowanceSet(Strict):
    model_config = strict_config({"examples": [{"monthly_credits": 500}, {"monthly_credits": None}]})

    monthly_credits: float | None = Field(
        gt=0, le=1_000_000, description="Credits per calendar month (UTC); null removes the allowance."
    )


class MonthUsageOut(BaseModel):
    month: str = Field(description="YYYY-MM (UTC), by when each avatar was requested.")
    credits: float
    minutes: float


class ProfessorUsageOut(BaseModel):
    professor_id: str
    name: str
    monthly_credit_allowance: float | None
    this_month: MonthUsageOut
    used_percent: float | None = Field(description="Of this month's allowance; null without one.")
    months: list[MonthUsageOut] = Field(description="Every month with any use, newest first.")


class UsageList(BaseModel):
    professors: list[ProfessorUsageOut]
