"""Which course passages one room's avatar should hold: those most relevant to the room, ranked, without
duplicates, the professor's pinned passages first.

What the room needs is asked three ways — what the students said lately, the professor's instructions for the
room, the student's background — each a full-text search (FTS5, bm25) over the course's passages; the three
rankings are fused by reciprocal rank (a passage high in any list ranks high; one in several ranks higher), so
a long conversation cannot drown the instructions, nor the reverse. The avatar's context
(farm/conversation/avatar_context.py) then takes passages in this order while they fit its size limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from farm.conversation.avatar_context import SourcedPassage
from state.materials_repository import MaterialsRepository
from state.models import Passage
from state.professors_repository import ADMIN_ID

# Candidates fetched per query, and kept after fusion: more than ever fit in a context.
PER_QUERY = 40
CANDIDATES = 40
# Student lines (newest) that make the conversation's query.
RECENT_LINES = 6
MAX_TERMS = 48
# Reciprocal rank fusion's constant (Cormack et al.: 60 works across collections).
RRF_K = 60
# Two passages sharing this much of their words are one (the same slide in two decks, a handout's repeat).
DUPLICATE_OVERLAP = 0.8

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during
    each few for from further had hadn't has hasn't have haven't having he her here hers herself him himself his
    how i i'm if in into is isn't it it's its itself just let's me more most much my myself no nor not now of
    off on once only or other our ours ourselves out over own really same she should shouldn't so some such than
    that that's the their theirs them themselves then there these they this those through to too under until up
    us very was wasn't we were weren't what what's when where which while who whom why will with won't would
    wouldn't you your yours yourself yourselves yes yeah okay ok um uh hmm like get got know think want mean
    thing things something one tell explain please thanks thank hi hello""".split()
)


@dataclass(frozen=True)
class RoomNeeds:
    """What a room is about, in the words of its people: each is searched on its own."""

    conversation: Sequence[str] = ()  # what the students said, oldest first
    instructions: str = ""
    background: str = ""


def terms_of(text: str, limit: int = MAX_TERMS) -> list[str]:
    """The searchable words of `text`: lower-cased, without stop words or single letters, each once."""
    found: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        word = word.replace("’", "'")
        if len(word) > 1 and word not in STOPWORDS and not word.isdigit():
            found.setdefault(word, None)
    return list(found)[:limit]


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


def _duplicate(words: frozenset[str], kept: list[frozenset[str]]) -> bool:
    for other in kept:
        smaller = min(len(words), len(other))
        if smaller and len(words & other) / smaller >= DUPLICATE_OVERLAP:
            return True
    return False


def fuse(rankings: Sequence[Sequence[Passage]]) -> list[Passage]:
    """Reciprocal rank fusion of several best-first lists; ties keep the passage met first."""
    scores: dict[int, float] = {}
    passages: dict[int, Passage] = {}
    for ranking in rankings:
        for rank, passage in enumerate(ranking):
            scores[passage.id] = scores.get(passage.id, 0.0) + 1.0 / (RRF_K + rank + 1)
            passages.setdefault(passage.id, passage)
    order = sorted(scores, key=lambda pid: -scores[pid])
    return [passages[pid] for pid in order]


async def select_passages(
    repository: MaterialsRepository,
    *,
    course: str,
    room_id: str | None,
    needs: RoomNeeds,
    limit: int = CANDIDATES,
    owner_id: str = ADMIN_ID,
) -> list[SourcedPassage]:
    """The course's passages for this room, best first: pinned ones, then the fused search results, without
    duplicates. Empty when the course has no materials. Only professor `owner_id`'s materials are searched (the
    session's professor; the admin's by default, who owns what existed before professors)."""
    course = " ".join(course.split())  # as uploads name it
    pinned = await repository.pinned_passages(room_id) if room_id is not None else []
    queries = [" ".join(needs.conversation[-RECENT_LINES:]), needs.instructions, needs.background]
    rankings = []
    for query in queries:
        terms = terms_of(query)
        if terms:
            found = await repository.search_passages(course, terms, owner_id=owner_id, limit=PER_QUERY)
            rankings.append([scored.passage for scored in found])
    chosen: list[SourcedPassage] = []
    seen: set[int] = set()
    kept_words: list[frozenset[str]] = []
    for passage, is_pinned in [(p, True) for p in pinned] + [(p, False) for p in fuse(rankings)]:
        if passage.id in seen:
            continue
        words = _words(passage.text)
        if not is_pinned and _duplicate(words, kept_words):
            continue
        seen.add(passage.id)
        kept_words.append(words)
        chosen.append(SourcedPassage(passage.id, passage.source, passage.text, pinned=is_pinned))
        if len(chosen) >= limit:
            break
    return chosen
