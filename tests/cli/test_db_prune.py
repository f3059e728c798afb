"""`avatarfarm db prune --older-than DURATION`: what it removed in one line, a bad duration in one line."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from api.cli import UsageError, parse_duration
from state.database import Database
from state.models import RoomStatus
from state.repository import Repository
from tests.state.conftest import sample_session


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AVATARFARM_")}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], env=clean, capture_output=True, text=True, timeout=60
    )


async def _store(path: Path) -> None:
    db = await Database.open(path)
    try:
        repo = Repository(db)
        for end in (True, False):
            session, _ = await repo.sessions.create(sample_session(rooms=1))
            room = session.rooms[0]
            await repo.sessions.set_room_status(room.id, RoomStatus.starting)
            for i in range(12):
                await repo.events.append("bot.page.console", room_id=room.id, detail={"text": f"line {i}"})
            if end:
                await repo.sessions.begin_ending(session.id, "professor")
                await repo.sessions.end_open_rooms(session.id, reason="session_ended")
    finally:
        await db.close()


def test_prune_says_what_it_removed(tmp_path: Path) -> None:
    data = tmp_path / "var"
    missing = _cli("db", "--data-dir", str(data), "prune", "--older-than", "30d")
    assert missing.returncode == 2 and "no database" in missing.stderr
    data.mkdir()
    asyncio.run(_store(data / "avatarfarm.sqlite3"))
    recent = _cli("db", "--data-dir", str(data), "prune", "--older-than", "30d")
    assert recent.returncode == 0, recent.stderr
    assert recent.stdout.startswith("nothing to prune: no session ended before ")
    pruned = _cli("db", "--data-dir", str(data), "prune", "--older-than", "0s")
    assert pruned.returncode == 0, pruned.stderr
    [line] = pruned.stdout.splitlines()
    # The 12 console lines and the session's own notes; its status changes stay for its report.
    assert re.match(r"pruned 1[2-9] events of 1 session ended before [0-9-]+ [0-9:]+ UTC, ", line), line
    assert "and 1 delivered webhook message; kept 3 events" in line  # session.ended's (no receiver configured)


@pytest.mark.parametrize(("given", "seconds"), [("30d", 30 * 86400), ("12h", 43200), ("1.5m", 90), ("2w", 1209600)])
def test_durations(given: str, seconds: float) -> None:
    assert parse_duration(given) == seconds


@pytest.mark.parametrize("given", ["30", "thirty", "-1d", "3 0d", "30dd", "", "1e3d"])
def test_a_bad_duration_is_refused(given: str) -> None:
    with pytest.raises(UsageError, match="is not a duration"):
        parse_duration(given)


@pytest.mark.parametrize("given", ["30x", "٣٠d"])  # the second in Arabic-Indic digits
def test_a_bad_duration_is_one_line(tmp_path: Path, given: str) -> None:
    result = _cli("db", "--data-dir", str(tmp_path), "prune", "--older-than", given)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "is not a duration" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
