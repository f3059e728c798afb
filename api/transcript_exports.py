"""A room's transcript as downloads: Markdown (to read and share) and WebVTT (cues with the speaker as voice,
to line up with a recording). Pure functions over the stored lines; times are UTC."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from state.models import TranscriptLine, TranscriptRole

SPOKEN_WORDS_PER_SECOND = 2.5
MIN_CUE_SECONDS = 1.0
MAX_CUE_SECONDS = 30.0
_SHORTEST_CUE = 0.001
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


@dataclass(frozen=True)
class TranscriptHeader:
    course: str
    professor: str
    room: str
    session_id: str


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "room"


def filename(header: TranscriptHeader, extension: str) -> str:
    return f"transcript-{slug(header.room)}-{header.session_id}.{extension}"


def _markdown_text(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def to_markdown(header: TranscriptHeader, lines: list[TranscriptLine]) -> str:
    title = f"# Transcript: {_markdown_text(header.room)}"
    out = [
        title,
        "",
        f"- Course: {_markdown_text(header.course)}",
        f"- Professor: {_markdown_text(header.professor)}",
        f"- Session: `{header.session_id}`",
    ]
    if lines:
        out.append(f"- Date: {_utc(lines[0].time):%Y-%m-%d} (times in UTC)")
    out.append("")
    if not lines:
        out.append("_Nothing was said in this room._")
    for line in lines:
        who = _markdown_text(line.speaker)
        role = "avatar" if line.role.value == "avatar" else line.role.value
        note = " _(filled in from LiveAvatar's transcript)_" if line.source == "vendor" else ""
        out.append(f"**{_utc(line.time):%H:%M:%S}, {who}** ({role}): {_markdown_text(line.text)}{note}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _vtt_time(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _vtt_escape(text: str) -> str:
    return " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _spoken_seconds(text: str) -> float:
    words = len(text.split())
    return min(MAX_CUE_SECONDS, max(MIN_CUE_SECONDS, words / SPOKEN_WORDS_PER_SECOND))


def _cue_times(lines: list[TranscriptLine]) -> list[tuple[float, float]]:
    """(start, end) of each line's cue, in seconds from the first cue, in the transcript's order.

    A student's line is stamped when its transcription arrived, at the end of what was said (the avatar's answer
    follows within milliseconds): its cue ends there and starts as long before as its words take to say. Other
    lines are stamped when they were said: their cue starts there. Each cue starts no earlier than the one before
    and ends before the next one starts."""
    raw = []
    for line in lines:
        spoken = _spoken_seconds(line.text)
        raw.append(
            (line.time - spoken, line.time) if line.role is TranscriptRole.student else (line.time, line.time + spoken)
        )
    times: list[tuple[float, float]] = []
    for start, end in raw:
        if times:
            previous_start, previous_end = times[-1]
            if start < previous_start + _SHORTEST_CUE:
                start = previous_start  # said together: the cues share their start
            else:
                times[-1] = (previous_start, min(previous_end, start))
        times.append((start, max(end, start + _SHORTEST_CUE)))
    origin = times[0][0]
    return [(start - origin, end - origin) for start, end in times]


def to_webvtt(header: TranscriptHeader, lines: list[TranscriptLine]) -> str:
    """Cue times count from the first cue; a cue lasts about as long as its words take to say (_cue_times)."""
    out = [
        "WEBVTT",
        "",
        "NOTE",
        f"Transcript of {_vtt_escape(header.room)}, {_vtt_escape(header.course)}, "
        f"session {header.session_id}. Times count from the first line.",
        "",
    ]
    if not lines:
        return "\n".join(out)
    for index, (line, (start, end)) in enumerate(zip(lines, _cue_times(lines), strict=True)):
        speaker = _vtt_escape(line.speaker).replace("&gt;", "")
        out += [
            str(index + 1),
            f"{_vtt_time(start)} --> {_vtt_time(end)}",
            f"<v {speaker}>{_vtt_escape(line.text)}",
            "",
        ]
    return "\n".join(out)
