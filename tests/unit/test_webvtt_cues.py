"""WebVTT cue times: a student's line is stamped when its transcription arrived, at the end of what was said, and
the avatar's answer a few milliseconds later; the student's cue must still last as long as the words take."""

from __future__ import annotations

import io
import itertools

import webvtt

from api.transcript_exports import TranscriptHeader, to_webvtt
from state.models import TranscriptLine, TranscriptRole

HEADER = TranscriptHeader(course="CS 101", professor="Prof. Ada", room="Room 1", session_id="ses_1")


def _line(index: int, role: TranscriptRole, text: str, time: float) -> TranscriptLine:
    speaker = "Grace" if role is TranscriptRole.student else "Prof. Ada (AI)"
    return TranscriptLine(id=index, room_id="room_1", speaker=speaker, role=role, text=text, time=time)


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_a_students_cue_ends_when_it_was_transcribed_and_lasts_as_long_as_its_words() -> None:
    lines = [
        _line(1, TranscriptRole.avatar, "Hi Grace! What are you working on?", 100.0),
        _line(2, TranscriptRole.student, "What is a base case in recursion, please?", 110.0),
        _line(3, TranscriptRole.avatar, "What do you think would stop the calls?", 110.018),
        _line(4, TranscriptRole.student, "Yes", 110.5),  # said over the avatar
    ]
    captions = webvtt.from_buffer(io.StringIO(to_webvtt(HEADER, lines))).captions
    times = [(_seconds(c.start), _seconds(c.end)) for c in captions]
    assert times[0][0] == 0.0
    greeting, question, answer, _ = times
    assert question[1] - question[0] >= 2.5  # 7 words, not the 18 ms until the answer
    assert abs(question[1] - 10.0) < 0.002 and abs(answer[0] - 10.018) < 0.002
    assert greeting[1] <= question[0]
    for (start, end), (later_start, _) in itertools.pairwise(times):
        assert start <= later_start and end > start
        assert end <= later_start or start == later_start
