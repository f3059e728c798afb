"""What the farm does after a bot attempt ends with a Zoom reason: rejoin once for audio that did not join or did
not flow, never retry what a second try cannot change."""

from __future__ import annotations

import pytest

from farm.room.recovery_policy import Action, decide
from state.models import RoomStatus


@pytest.mark.parametrize("reason", ["audio_not_joined", "meeting_audio_silent"])
def test_audio_that_did_not_join_or_flow_rejoins_once(reason: str) -> None:
    first = decide(reason, page_words=None, failures=1, budget=5, obf_tried=False, can_get_obf=False, repeats=1)
    assert first.action is Action.relaunch and first.status is RoomStatus.recovering
    again = decide(reason, page_words="the words", failures=2, budget=5, obf_tried=False, can_get_obf=False, repeats=2)
    assert again.action is Action.stop and again.status is RoomStatus.failed
    assert again.reason_text == "The rejoin did not help. the words"


def test_a_crash_between_two_audio_failures_does_not_end_the_room() -> None:
    # The same reason twice in a row stops; another reason in between starts the count again.
    decision = decide(
        "audio_not_joined", page_words=None, failures=3, budget=5, obf_tried=False, can_get_obf=False, repeats=1
    )
    assert decision.action is Action.relaunch


@pytest.mark.parametrize("reason", ["sdk_outdated", "zoom_recaptcha", "removed", "app_blocked", "information_barrier"])
def test_refusals_a_second_try_cannot_change_stop_at_once(reason: str) -> None:
    decision = decide(reason, page_words=None, failures=1, budget=5, obf_tried=False, can_get_obf=True)
    assert decision.action is Action.stop and decision.status is RoomStatus.failed


def test_sign_in_required_joins_on_the_professors_behalf_once() -> None:
    first = decide("sign_in_required", page_words=None, failures=1, budget=5, obf_tried=False, can_get_obf=True)
    assert first.action is Action.relaunch_with_obf
    again = decide("sign_in_required", page_words=None, failures=2, budget=5, obf_tried=True, can_get_obf=True)
    assert again.action is Action.stop
    without_grant = decide(
        "sign_in_required", page_words=None, failures=1, budget=5, obf_tried=False, can_get_obf=False
    )
    assert without_grant.action is Action.stop and "connect Zoom" in without_grant.reason_text


def test_a_participant_already_in_the_meeting_is_joined_again_with_backoff() -> None:
    decision = decide("participant_exists", page_words=None, failures=1, budget=5, obf_tried=False, can_get_obf=False)
    assert decision.action is Action.relaunch and decision.status is RoomStatus.recovering


@pytest.mark.parametrize("reason", ["authorizer_absent", "authorizer_left"])
def test_a_professor_away_makes_the_room_wait_for_them_not_retry_or_end(reason: str) -> None:
    decision = decide(reason, page_words=None, failures=1, budget=5, obf_tried=True, can_get_obf=True)
    assert decision.action is Action.wait_for_professor and decision.status is RoomStatus.recovering
    # Without a Zoom grant there is no OBF join to wait for: the old answers stand.
    assert (
        decide("authorizer_left", page_words=None, failures=1, budget=5, obf_tried=False, can_get_obf=False).action
        is Action.stop
    )
