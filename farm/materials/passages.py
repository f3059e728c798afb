"""A page's text cut into passages: a few sentences each, never across a page or slide (so each keeps its
citation), cut at paragraph and sentence ends, with the whitespace of PDF line breaks folded.

Passages are the unit the avatar's context is filled with: small enough that several fit in LiveAvatar's
context limit beside the instructions, large enough to hold a definition with its example.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from farm.materials.extraction import Section

TARGET_CHARS = 700
MAX_CHARS = 1000
# A page's last piece shorter than this joins the passage before it rather than stand alone.
MIN_CHARS = 200

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_ENDS = (".", "!", "?", ";", ":", "”", '"', ")")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n")


@dataclass(frozen=True)
class PassageText:
    location: str | None
    text: str


def passages_of(sections: Iterable[Section]) -> list[PassageText]:
    """Every section's text as passages, in reading order."""
    found: list[PassageText] = []
    for section in sections:
        found.extend(PassageText(section.location, text) for text in split(section.text))
    return found


def split(text: str) -> list[str]:
    """`text` as pieces of about TARGET_CHARS (never more than MAX_CHARS), cut at sentence ends."""
    pieces: list[str] = []
    current = ""
    for unit in _units(text):
        if current and len(current) + 1 + len(unit) > MAX_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current} {unit}" if current else unit
        if len(current) >= TARGET_CHARS and current.endswith(_ENDS):  # else a PDF line may end mid-sentence
            pieces.append(current)
            current = ""
    if current:
        if pieces and len(current) < MIN_CHARS and len(pieces[-1]) + 1 + len(current) <= MAX_CHARS:
            pieces[-1] = f"{pieces[-1]} {current}"
        else:
            pieces.append(current)
    return pieces


def _units(text: str) -> Iterable[str]:
    """Sentences (or lines: slide bullets have no full stops), each at most MAX_CHARS, whitespace folded."""
    for paragraph in _PARAGRAPH_BREAK.split(text):
        for sentence in _SENTENCE_END.split(paragraph):
            folded = " ".join(sentence.split())
            while len(folded) > MAX_CHARS:  # a run-on "sentence" (a table, a list without stops): cut at a space
                cut = folded.rfind(" ", 0, MAX_CHARS)
                cut = cut if cut > MAX_CHARS // 2 else MAX_CHARS
                yield folded[:cut]
                folded = folded[cut:].lstrip()
            if folded:
                yield folded
