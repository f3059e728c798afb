"""The suite's heaviest files are one unit of xdist's work (tests/support/heavy_files.py): one worker runs them
in turn, every other file is a unit of its own, and a heavy file renamed or moved fails here."""

from __future__ import annotations

from pathlib import Path

from tests.support.heavy_files import HEAVY_FILES, HeavyFilesInTurn

ROOT = Path(__file__).resolve().parents[2]


def test_the_heavy_files_exist() -> None:
    assert all((ROOT / path).is_file() for path in HEAVY_FILES), sorted(HEAVY_FILES)


def test_the_heavy_files_are_one_unit_and_every_other_file_its_own() -> None:
    scheduling = object.__new__(HeavyFilesInTurn)  # _split_scope reads nothing of the scheduler's state
    units = {scheduling._split_scope(f"{path}::test_x") for path in HEAVY_FILES}
    assert len(units) == 1
    [heavy] = units
    light = "tests/farm/test_room_runner.py"
    assert scheduling._split_scope(f"{light}::test_a") == scheduling._split_scope(f"{light}::test_b") == light
    assert heavy != light
