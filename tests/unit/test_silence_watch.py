"""bot_page/js/silence-watch.js, run by Node: a speaker Zoom named who then left the room is no evidence that
the meeting's audio stopped (seen: a student leaving just after Zoom named them made the bot rejoin its meeting
under load), nor is Zoom naming a speaker just after their words were heard (its indicator trails the voice;
seen: a soak's room failed as silent while every question was transcribed), while a present speaker who cannot
be heard still is."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

WATCH = Path(__file__).resolve().parents[2] / "bot_page" / "js" / "silence-watch.js"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node")

SCRIPT = """
const { SilenceWatch } = await import(process.argv[1]);
const steps = JSON.parse(process.argv[2]);
const watch = new SilenceWatch({ silentMs: 5000 });
watch.reset(0);
const verdicts = steps.map((s) => watch.observe({ live: true, heard: false, talking: false, voiceOut: true, ...s }));
console.log(JSON.stringify(verdicts));
"""


def verdicts(steps: Sequence[Mapping[str, object]]) -> list[str | None]:
    done = subprocess.run(
        ["node", "--input-type=module", "-e", SCRIPT, WATCH.as_uri(), json.dumps(steps)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    answer: list[str | None] = json.loads(done.stdout)
    return answer


def test_a_present_speaker_nobody_hears_is_silence_in() -> None:
    assert verdicts([{"now": 1000, "humanSpokeAt": 1000}, {"now": 6500, "humanSpokeAt": 1000}]) == [None, "in"]


def test_a_speaker_who_left_the_room_is_no_evidence() -> None:
    # Named at 1 s, gone at 2 s (the page passes 0 once the named speaker is not in the room).
    steps = [{"now": 1000, "humanSpokeAt": 1000}, {"now": 2000, "humanSpokeAt": 0}, {"now": 6500, "humanSpokeAt": 0}]
    assert verdicts(steps) == [None, None, None]


def test_zoom_naming_a_speaker_just_after_their_words_were_heard_is_no_evidence() -> None:
    # The soak's case: the question heard until 1 s, Zoom names the student at 1.6 s (its indicator trails the
    # voice), then the student is quiet for the rest of the minute.
    steps = [
        {"now": 900, "heard": True, "humanSpokeAt": 200},
        {"now": 1000, "heard": True, "humanSpokeAt": 200},
        {"now": 1600, "humanSpokeAt": 1600},
        {"now": 7000, "humanSpokeAt": 1600},
        {"now": 60_000, "humanSpokeAt": 1600},
    ]
    assert verdicts(steps) == [None, None, None, None, None]


def test_a_speaker_named_well_after_the_last_words_heard_and_not_heard_is_silence_in() -> None:
    # Heard until 1 s; the student speaks again at 10 s and nothing reaches the page.
    steps = [
        {"now": 1000, "heard": True, "humanSpokeAt": 800},
        {"now": 10_000, "humanSpokeAt": 10_000},
        {"now": 14_000, "humanSpokeAt": 12_000},
        {"now": 15_000, "humanSpokeAt": 14_000},
    ]
    assert verdicts(steps) == [None, None, None, "in"]
