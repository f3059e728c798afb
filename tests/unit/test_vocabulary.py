"""States, reasons and event kinds have one source (state/vocabulary.py): the module the bot page and the dashboard
import says exactly what Python says, and every name their JS uses exists there."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from farm.room.recovery_policy import FINISHED, NEVER_AGAIN
from state.vocabulary import (
    BOT_STATES,
    REASON_WORDS,
    STATUS_WORDS,
    AvatarRelease,
    AvatarWant,
    EventKind,
    RoomStatus,
    as_dict,
    as_javascript,
)

ROOT = Path(__file__).resolve().parents[2]
BOT_JS = sorted((ROOT / "bot_page" / "js").rglob("*.js"))
DASHBOARD_JS = sorted((ROOT / "api" / "dashboard" / "static").glob("*.js"))


def _source(paths: list[Path]) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in paths)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to evaluate the generated module")
def test_the_generated_module_says_what_python_says(tmp_path: Path) -> None:
    module = tmp_path / "vocabulary.mjs"
    module.write_text(as_javascript(), encoding="utf-8")
    script = (
        f"import * as v from {json.dumps(module.as_uri())};"
        "console.log(JSON.stringify({states: v.STATES, botStates: v.BOT_STATES, statusWords: v.STATUS_WORDS,"
        " eventKinds: v.EVENT_KINDS, avatarWant: v.AVATAR_WANT, avatarRelease: v.AVATAR_RELEASE,"
        " reasonWords: v.REASON_WORDS, storedEventKinds: v.STORED_EVENT_KINDS,"
        " streamedEventKinds: v.STREAMED_EVENT_KINDS, storedEventWords: v.STORED_EVENT_WORDS,"
        " frozen: Object.isFrozen(v.STATES)}));"
    )
    result = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    loaded = json.loads(result.stdout)
    assert loaded.pop("frozen") is True
    assert loaded == as_dict()


def test_every_state_and_event_the_bot_page_names_exists() -> None:
    source = _source(BOT_JS)
    for name in set(re.findall(r"\bState\.(\w+)", source)):
        assert name in {s.value for s in BOT_STATES}, f"bot page uses State.{name}, which is not a bot state"
    for name in set(re.findall(r"\bEventKind\.(\w+)", source)):
        assert name in EventKind.__members__, f"bot page uses EventKind.{name}, unknown to state/vocabulary.py"
    for name in set(re.findall(r"\bAvatarWant\.(\w+)", source)):
        assert name in AvatarWant.__members__
    for name in set(re.findall(r"\bAvatarRelease\.(\w+)", source)):
        assert name in AvatarRelease.__members__
    # No event kind is spelled out by hand: the page reports only vocabulary kinds.
    assert not re.findall(r"\.event\(\s*\"", source), "a bot page event kind is written as a string literal"


def test_every_reason_the_page_can_report_has_words() -> None:
    states = (ROOT / "bot_page" / "js" / "states.js").read_text(encoding="utf-8")
    bot = _source(BOT_JS)
    reasons = set(re.findall(r"\[[^\]]*?,\s*\"(\w+)\"\]", states))  # the code and word tables
    reasons |= set(re.findall(r"return \"(\w+)\";", states))
    reasons |= set(re.findall(r"fail\(\"(\w+)\"", bot))
    assert {"bad_signature", "blocked_as_bot", "kicked", "meeting_error", "meeting_closed"} <= reasons
    missing = sorted(r for r in reasons if r not in REASON_WORDS)
    assert missing == [], f"reasons without words in state/vocabulary.py: {missing}"
    assert all(reason in REASON_WORDS for reason in NEVER_AGAIN | FINISHED)


def test_the_dashboard_names_only_known_states_and_words_every_one() -> None:
    source = _source(DASHBOARD_JS)
    assert "vocabulary.js" in source and "const STATUS_WORDS = {" not in source
    named = set(re.findall(r"status\s*===\s*\"(\w+)\"", source))
    for group in re.findall(r"new Set\(\[([^\]]*)\]\)", source):
        named |= set(re.findall(r"\"(\w+)\"", group))
    known = {s.value for s in RoomStatus}
    assert named and named <= known, sorted(named - known)
    assert set(STATUS_WORDS) == set(RoomStatus)
