"""A short summary of a room's conversation so far, for a fresh avatar session after a pause: who said what
last, newest kept, within a character budget (extractive: the lines themselves, trimmed, never invented),
fenced as quoted conversation; and the avatar's greeting. Names and words pass through
farm/conversation/student_words.py."""

from __future__ import annotations

from collections.abc import Sequence

from farm.conversation.student_words import (
    CONVERSATION_RULE,
    DECLINE_HINT,
    FENCE_CLOSE,
    FENCE_OPEN,
    NO_NAME,
    fenced_conversation,
    quoted,
    spoken_name,
    spoken_names,
)
from state.models import TranscriptLine, TranscriptRole

SUMMARY_LIMIT = 1500
LINE_LIMIT = 220
HEADER = "The conversation so far in this room (continue from it; do not greet as if meeting for the first time):"


def _shorten(text: str, limit: int = LINE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def summarize(lines: Sequence[TranscriptLine], *, limit: int = SUMMARY_LIMIT) -> str:
    """The most recent exchanges that fit in `limit` characters, oldest first; "" when nothing was said."""
    kept: list[str] = []
    used = sum(len(part) + 1 for part in (HEADER, CONVERSATION_RULE, FENCE_OPEN, FENCE_CLOSE))
    for line in reversed(lines):
        if line.role not in (TranscriptRole.student, TranscriptRole.avatar, TranscriptRole.professor):
            continue
        who = "You" if line.role is TranscriptRole.avatar else spoken_name(line.speaker) or "A student"
        entry = f"- {who}: {_shorten(quoted(line.text))}"
        if used + len(entry) + 1 > limit:
            break
        kept.append(entry)
        used += len(entry) + 1
    if not kept:
        return ""
    return fenced_conversation(HEADER, kept[::-1])


def greeting(*, names: Sequence[str], professor_name: str, course_name: str, returning: bool) -> str:
    """What the avatar says first: the students by their meeting names (those that can be spoken as names)."""
    people = spoken_names(names)
    if not people:
        who = NO_NAME
    elif len(people) == 1:
        who = people[0]
    else:
        who = ", ".join(people[:-1]) + f" and {people[-1]}"
    if returning:
        return (
            f"Welcome back, {who}! I'm {professor_name}'s AI tutor. {DECLINE_HINT} "
            "Where were we? Tell me what you are thinking about now."
        )
    return f"Hi {who}! I'm {professor_name}'s AI tutor for {course_name}. {DECLINE_HINT} What are you working on?"
