"""Monthly credit allowances: the LiveAvatar credits a professor's avatars used in a calendar month (UTC, by
when each avatar session was requested), and the events when that use crosses 80 % and 100 % of the allowance.

`note_usage` is called inside the transaction that raises an avatar session's credits, so the crossing event
(and its webhook message, see webhook_outbox) commits with the usage that caused it, exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from state.vocabulary import StoredEventKind

if TYPE_CHECKING:
    from state.database import Reader, Transaction

WARNING_SHARE = 0.8

_USED = (
    "SELECT COALESCE(SUM(a.credits), 0) AS credits, COALESCE(SUM(a.minutes), 0) AS minutes FROM avatar_sessions a "
    "JOIN rooms r ON r.id = a.room_id JOIN sessions s ON s.id = r.session_id "
    "WHERE s.owner_id = ? AND a.created_at >= ? AND a.created_at < ?"
)


@dataclass(frozen=True)
class MonthUsage:
    month: str  # "2026-12"
    credits: float
    minutes: float


def month_of(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[float, float]:
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start.timestamp(), end.timestamp()


async def used_in(reader: Reader, owner_id: str, month: str) -> MonthUsage:
    start, end = month_bounds(month)
    row = await reader.fetchone(_USED, (owner_id, start, end))
    assert row is not None
    return MonthUsage(month, float(row["credits"]), float(row["minutes"]))


async def months_of(reader: Reader, owner_id: str) -> list[MonthUsage]:
    """Every month the professor's avatars used anything in, newest first."""
    rows = await reader.fetchall(
        "SELECT strftime('%Y-%m', a.created_at, 'unixepoch') AS month, SUM(a.credits) AS credits, "
        "SUM(a.minutes) AS minutes FROM avatar_sessions a JOIN rooms r ON r.id = a.room_id "
        "JOIN sessions s ON s.id = r.session_id WHERE s.owner_id = ? GROUP BY month ORDER BY month DESC",
        (owner_id,),
    )
    return [MonthUsage(r["month"], float(r["credits"]), float(r["minutes"])) for r in rows]


async def note_usage(tx: Transaction, avatar_session_id: str, credits_before: float) -> None:
    """Append the allowance events an increase of this avatar session's credits (from `credits_before`) crossed."""
    row = await tx.fetchone(
        "SELECT a.credits, a.created_at, a.room_id, s.id AS session_id, s.owner_id, p.monthly_credit_allowance "
        "FROM avatar_sessions a JOIN rooms r ON r.id = a.room_id JOIN sessions s ON s.id = r.session_id "
        "JOIN professors p ON p.id = s.owner_id WHERE a.id = ?",
        (avatar_session_id,),
    )
    if row is None or row["monthly_credit_allowance"] is None or row["credits"] <= credits_before:
        return
    allowance = float(row["monthly_credit_allowance"])
    month = month_of(row["created_at"])
    after = (await used_in(tx, row["owner_id"], month)).credits
    before = after - (float(row["credits"]) - credits_before)
    detail = {
        "professor_id": row["owner_id"],
        "month": month,
        "credits_used": round(after, 3),
        "allowance": allowance,
        "percent": round(100 * after / allowance, 1),
    }
    where = {"session_id": row["session_id"], "room_id": row["room_id"]}
    if before < WARNING_SHARE * allowance <= after:
        await tx.append_event(StoredEventKind.allowance_warning, **where, detail=detail)
    if before < allowance <= after:
        await tx.append_event(StoredEventKind.allowance_reached, **where, detail=detail)
