"""What the farm does after a bot attempt ends, per cause: relaunch (with backoff and a budget), retry with
an OBF token, or stop for good — and the words the professor reads.

Causes come from the farm (crashed, hung, launch_failed, …) or from the page's failure reasons
(bot_page/js/states.js).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tenacity import RetryCallState, wait_random_exponential

from state.models import RoomStatus
from state.vocabulary import reason_words


class Action(StrEnum):
    relaunch = "relaunch"
    relaunch_with_obf = "relaunch_with_obf"
    # Wait (in words, without joining) until the authorizing professor is in the meeting, then join on their
    # behalf: each join Zoom refuses for their absence e-mails the host.
    wait_for_professor = "wait_for_professor"
    stop = "stop"


# Refusals that a second try cannot change: say why and stop.
NEVER_AGAIN = frozenset(
    {
        "kicked",
        "bad_signature",
        "bad_passcode",
        "meeting_not_found",
        "blocked_as_bot",
        "obf_invalid",
        "obf_wrong_meeting",
        "cross_account_not_allowed",
        "anonymous_join_refused",
        "credentials_conflict",
        "duplicated_session",
        "zak_invalid",
        "meeting_locked",
        "meeting_full",
        "platform_unsupported",
        "avatar_refused",
        "sdk_outdated",
        "zoom_recaptcha",
        "removed",
        "app_blocked",
        "information_barrier",
    }
)
# Refusals that joining on the professor's behalf (an OBF token) can answer, once.
JOIN_ON_BEHALF = frozenset({"obf_required", "sign_in_required"})
# Normal ends: the room is over, not broken.
FINISHED = frozenset({"meeting_ended", "authorizer_left", "left", "max_duration", "budget_reached", "session_ended"})
# The professor on whose behalf the bot joins is absent (4017) or dropped out (4019): with a Zoom grant, the room
# waits for them and rejoins; a professor's flaky connection must not end every room of the class.
PROFESSOR_ABSENT = frozenset({"authorizer_absent", "authorizer_left"})

# Audio that did not join or did not flow: the bot rejoins the meeting once; the same again means a rejoin does
# not help (the words say what the page saw).
REJOIN_ONCE = frozenset({"audio_not_joined", "meeting_audio_silent"})

# Causes that are not the room's fault: relaunched at once, without spending its retry budget.
FREE_RETRIES = frozenset({"restart_requested", "node_lost"})

NODE_LOST_PAUSE = 1.0

_BACKOFF = wait_random_exponential(multiplier=1.0, max=30.0)


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter (tenacity's): up to 1, 2, 4, … 30 seconds."""
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = max(1, attempt)
    return float(_BACKOFF(state))


@dataclass(frozen=True)
class Decision:
    action: Action
    status: RoomStatus
    reason: str
    reason_text: str
    delay: float = 0.0


def spends_budget(reason: str) -> bool:
    return reason not in FREE_RETRIES


def words(reason: str, page_words: str | None = None) -> str:
    return page_words or reason_words(reason)


def decide(
    reason: str,
    *,
    page_words: str | None,
    failures: int,
    budget: int,
    obf_tried: bool,
    can_get_obf: bool,
    repeats: int = 1,
) -> Decision:
    """`failures` counts consecutive failed attempts including this one; `repeats` how many of the last
    attempts in a row ended with this same reason (this one included)."""
    text = words(reason, page_words)
    if reason in PROFESSOR_ABSENT and can_get_obf:
        return Decision(Action.wait_for_professor, RoomStatus.recovering, reason, text)
    if reason in FINISHED:
        return Decision(Action.stop, RoomStatus.ended, reason, text)
    if reason in NEVER_AGAIN:
        return Decision(Action.stop, RoomStatus.failed, reason, text)
    if reason in JOIN_ON_BEHALF:
        if can_get_obf and not obf_tried:
            return Decision(
                Action.relaunch_with_obf, RoomStatus.recovering, reason, "Joining on the professor's behalf (OBF)."
            )
        return Decision(Action.stop, RoomStatus.failed, reason, text)
    if reason in REJOIN_ONCE and repeats > 1:
        return Decision(Action.stop, RoomStatus.failed, reason, f"The rejoin did not help. {text}")
    if reason in FREE_RETRIES:
        # A short pause after a lost node lets the farm's slots catch up before the room is placed again.
        return Decision(
            Action.relaunch,
            RoomStatus.recovering,
            reason,
            text,
            delay=NODE_LOST_PAUSE if reason == "node_lost" else 0.0,
        )
    if failures > budget:
        return Decision(
            Action.stop,
            RoomStatus.failed,
            reason,
            f"Gave up after {failures} attempts. Last problem: {text}",
        )
    return Decision(Action.relaunch, RoomStatus.recovering, reason, text, delay=backoff_seconds(failures))
