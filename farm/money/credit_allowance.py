"""The professor's monthly credit allowance (set by the administrator): one test of "spent", asked at every
avatar start beside the session budget (farm/money/credit_budget.py), and at every usage-meter tick for the avatars
already running (farm/money/allowance_cutoff.py)."""

from __future__ import annotations

import time

from state.allowances import month_of
from state.professors_repository import ProfessorsRepository

# The room's reason when its avatar was stopped because the allowance ran out (words in state/vocabulary.py).
ALLOWANCE_REACHED = "allowance_reached"


async def allowance_refusal(
    repository: ProfessorsRepository, professor_id: str, now: float | None = None
) -> str | None:
    """Why no avatar of this professor may start now, in words; None when the allowance (if any) has room."""
    professor = await repository.get(professor_id)
    if professor is None or professor.monthly_credit_allowance is None:
        return None
    month = month_of(time.time() if now is None else now)
    used = (await repository.usage_in(professor_id, month)).credits
    if used < professor.monthly_credit_allowance:
        return None
    return (
        f"{professor.name} has used this month's credit allowance ({used:.1f} of "
        f"{professor.monthly_credit_allowance:g} credits), so no avatar starts until next month or until the "
        "administrator raises it."
    )
