"""Cutting off running avatars when their professor's monthly credit allowance runs out. Starts are refused at
every avatar start (farm/money/credit_allowance.py); this is for avatars already running when the month's use
reaches the allowance: at every usage-meter tick, each professor with a running avatar is checked once, and every
room of theirs stops its avatar now (the bot stays in its room, saying why in words). The rooms are what the
farm manager runs (farm/room/room_runner.py's RoomRunner), seen through the little this needs of them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from farm.money.credit_allowance import allowance_refusal
from state.models import Session
from state.professors_repository import ProfessorsRepository


class RoomRunner(Protocol):
    """A room of the farm, as the cut-off sees it."""

    @property
    def session(self) -> Session: ...

    @property
    def avatar_busy(self) -> bool: ...

    def allowance_spent(self, words: str) -> None: ...


async def cut_off_spent_allowances(repository: ProfessorsRepository, runners: Iterable[RoomRunner]) -> set[str]:
    """Stop the avatars of every professor whose allowance is spent; returns those professors' ids."""
    by_owner: dict[str, list[RoomRunner]] = {}
    for runner in runners:
        if runner.avatar_busy:
            by_owner.setdefault(runner.session.owner_id, []).append(runner)
    spent = set()
    for owner, theirs in by_owner.items():
        words = await allowance_refusal(repository, owner)
        if words is None:
            continue
        spent.add(owner)
        for runner in theirs:
            runner.allowance_spent(words)
    return spent
