"""The failure campaign's report splits each recovery into its steps from the manager's own rows: the kill until
the farm closed the attempt, then the next attempt's statuses until live."""

from __future__ import annotations

import pytest

from tests.chaos.ledger import BotRow, Ledger, StatusChange
from tests.chaos.report import CampaignReport, Kill, attribute


def test_a_recovery_is_split_into_its_steps_and_their_medians() -> None:
    killed = BotRow("bot_1", "Room 1", 1, "stopped", "crashed", 100.0, 100.4)
    again = BotRow("bot_2", "Room 1", 2, "running", None, 101.0, None)
    changes = [
        StatusChange("Room 1", 99.0, "live"),  # before the kill: not the recovery's
        StatusChange("Room 1", 100.5, "recovering"),
        StatusChange("Room 1", 101.0, "starting"),
        StatusChange("Room 1", 102.5, "joining"),
        StatusChange("Room 1", 103.0, "in_main_session"),
        StatusChange("Room 1", 103.1, "in_room"),
        StatusChange("Room 1", 104.0, "avatar_connecting"),
        StatusChange("Room 1", 105.0, "live"),
    ]
    ledger = Ledger({"room_1": "Room 1"}, [killed, again], [], changes)
    [outcome] = attribute([Kill(100.1, 4242)], ledger)
    assert outcome.recovery_seconds == pytest.approx(4.9)
    assert outcome.steps == pytest.approx(
        {"noticed": 0.3, "starting": 0.6, "joining": 1.5, "in_main_session": 0.5, "in_room": 0.1, "live": 1.9}
    )
    report = CampaignReport(chaos_seconds=30, rooms=1, kill_interval_seconds=10, seed=1, kills=[outcome])
    assert report.step_medians()["joining"] == 1.5
    assert "joining 1.5" in report.figures()["recovery steps, median (s)"]
