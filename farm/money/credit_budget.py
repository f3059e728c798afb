"""The session credit budget (AVATARFARM_SESSION_CREDIT_BUDGET): one test of "spent", asked wherever something
billable may start (a room's launch, a restart, an avatar start) and at every usage-meter tick."""

from __future__ import annotations

from state.models import Session


def budget_spent(session: Session, budget: float | None) -> bool:
    return budget is not None and session.usage.credits >= budget


def budget_words(session: Session, budget: float) -> str:
    return (
        f"This session has used its credit budget ({session.usage.credits:.1f} of {budget:g} credits), "
        "so no new avatar starts; start a new session or raise AVATARFARM_SESSION_CREDIT_BUDGET."
    )
