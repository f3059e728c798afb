"""A late heartbeat is a question, not yet a verdict. When no heartbeat has arrived for the heartbeat timeout,
the farm asks the page itself (`avatarfarm.pulse()`) when it last sent one, by the page's own clock. A page
that answers and beat recently is alive: its heartbeats are late on their way (a farm or browser node short of
CPU reads them seconds behind), and it is kept. A page that does not answer, or answers that it stopped
beating, is hung. A page whose heartbeats never arrive although it keeps answering (its report path is broken)
is kept only MAX_RESCUES times in a row.

Measured before this existed (tests/nodes, beside `stress-ng --cpu 3`): pages on three nodes sent a heartbeat
every 2 s without a gap while the farm received them 2 to 8 s late (a direct question took 14 to 15 s to be
answered), and called four of six bots hung."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from farm import loop_clock
from farm.browsers.browser_node import PAGE_ERRORS
from farm.room.attempt_messages import PulseAnswered
from farm.room.page_commands import PageCommands

# How many times in a row a page is kept on its word, with no heartbeat arriving in between.
MAX_RESCUES = 2
# The question's window is counted on the farm's clock of kept-up time (farm/loop_clock.py); a question that a
# stalled farm cannot read is still given up after this many windows of wall-clock time.
WALL_CLOCK_WINDOWS = 10


def ask_window(heartbeat_timeout: float) -> float:
    """How long the page has to answer: twice the heartbeat timeout, because the question
    and its answer travel the same slow path as the heartbeats did."""
    return 2 * heartbeat_timeout


def ask(page: PageCommands, post: Callable[[PulseAnswered], None], heartbeat_timeout: float) -> asyncio.Task[None]:
    """Ask the page now; its answer (or why there is none) is posted to the attempt's queue."""

    within = ask_window(heartbeat_timeout)

    async def asking() -> None:
        try:
            pulse = await loop_clock.within(page.pulse(within=within * WALL_CLOCK_WINDOWS), within)
        except TimeoutError:
            post(PulseAnswered(None, f"did not answer within {within:.0f} s"))
        except PAGE_ERRORS as exc:
            post(PulseAnswered(None, f"could not be asked ({type(exc).__name__})"))
        except ValidationError:
            post(PulseAnswered(None, "answered something that is not a pulse"))
        else:
            post(PulseAnswered(pulse))

    return asyncio.create_task(asking(), name="pulse question")


@dataclass(frozen=True)
class Verdict:
    alive: bool
    words: str  # for the farm's log
    beat_age: float | None = None  # seconds since the page's last heartbeat, by its clock, when it answered


def judge(answer: PulseAnswered, heartbeat_timeout: float, rescues: int) -> Verdict:
    """What the page's answer says, `rescues` being how many times in a row it was already kept."""
    if answer.pulse is None:
        return Verdict(False, f"the page {answer.problem}")
    age = answer.pulse.beat_age_seconds()
    if age is None or age > heartbeat_timeout:
        beat = "never sent one" if age is None else f"sent its last {age:.0f} s ago"
        return Verdict(False, f"the page answers but {beat}")
    if rescues >= MAX_RESCUES:
        return Verdict(False, f"the page beats ({age:.1f} s ago) but none of its heartbeats reached the farm")
    return Verdict(True, f"the page answers and sent its last {age:.1f} s ago: they are late on their way", age)
