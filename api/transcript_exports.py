"""A room's transcript as downloads: Markdown (to read and share) and WebVTT (cues with the speaker as voice,
to line up with a recording). Pure functions over the stored lines; times are UTC."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from state.models import TranscriptLine

SPOKEN_WORDS_PER_SECOND = 2.5
MIN_CUE_SECONDS = 1.0
MAX_CUE_SECONDS = 30.0
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


def to_webvtt(header: TranscriptHeader, lines: list[TranscriptLine]) -> str:
    """Cue times count from the first line; a cue lasts about as long as its words take to say, and ends
    before the next one starts."""
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
    origin = lines[0].time
    for index, line in enumerate(lines):
        start = line.time - origin
        end = start + _spoken_seconds(line.text)
        if index + 1 < len(lines):
            following = lines[index + 1].time - origin
            if following > start:
                end = min(end, following)
        end = max(end, start + 0.001)
        speaker = _vtt_escape(line.speaker).replace("&gt;", "")
        out += [
            str(index + 1),
            f"{_vtt_time(start)} --> {_vtt_time(end)}",
            f"<v {speaker}>{_vtt_escape(line.text)}",
            "",
        ]
    return "\n".join(out)
