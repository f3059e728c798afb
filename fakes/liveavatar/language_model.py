"""Keyword boosting for the recogniser: a small bigram language model built from a session's context.

Real speech APIs let callers boost expected words; pocketsphinx's stock model has an open vocabulary but poor
accuracy on synthetic voices. So for a session with a context, the recogniser decodes with a bigram model trained
on that context (weighted) plus a short corpus of everyday classroom English, over the words of the CMU
dictionary that ships with pocketsphinx. Words the dictionary does not know are left out.
"""

from __future__ import annotations

import collections
import itertools
import math
import re
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pocketsphinx import get_model_path

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_SENTENCE_BREAK = re.compile(r"[.!?;:\n,()\[\]\"]+")
_NUMBERS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven",
    "8": "eight", "9": "nine", "10": "ten", "11": "eleven", "12": "twelve", "20": "twenty", "100": "hundred",
}  # fmt: skip
CONTEXT_WEIGHT = 10
GENERAL_WEIGHT = 1
GENERAL_BIGRAMS = False
DISCOUNT = 0.5


def general_corpus() -> str:
    text = resources.files("fakes.liveavatar").joinpath("corpus/general.txt").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def tokenize(sentence: str) -> list[str]:
    spaced = re.sub(r"\d+", lambda match: f" {_NUMBERS.get(match.group(0), '')} ", sentence.lower())
    return _WORD.findall(spaced.replace("-", " "))


def sentences(text: str) -> list[list[str]]:
    return [words for part in _SENTENCE_BREAK.split(text) if (words := tokenize(part))]


class PronouncingDictionary:
    """pocketsphinx's cmudict-en-us.dict, read once (about 135 000 words) on first use."""

    _lock = threading.Lock()
    _entries: dict[str, list[str]] | None = None

    @classmethod
    def entries(cls) -> dict[str, list[str]]:
        with cls._lock:
            if cls._entries is None:
                path = Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"
                entries: dict[str, list[str]] = {}
                with path.open(encoding="utf-8") as lines:
                    for line in lines:
                        word, _, phones = line.strip().partition(" ")
                        entries.setdefault(re.sub(r"\(\d+\)$", "", word), []).append(phones.strip())
                cls._entries = entries
            return cls._entries


@dataclass(frozen=True)
class LanguageModelFiles:
    arpa: Path
    dictionary: Path
    vocabulary: frozenset[str]


def build(context_text: str, directory: Path) -> LanguageModelFiles:
    """Write `lm.arpa` and `words.dict` for context + general corpus into `directory` (blocking)."""
    known = PronouncingDictionary.entries()
    unigrams: collections.Counter[str] = collections.Counter()
    bigrams: collections.Counter[tuple[str, str]] = collections.Counter()
    weighted = [(words, CONTEXT_WEIGHT) for words in sentences(context_text)]
    weighted += [(words, 1) for words in sentences(general_corpus())]
    for words, weight in weighted:
        tokens = ["<s>", *(word for word in words if word in known), "</s>"]
        if len(tokens) == 2:
            continue
        for token in tokens:
            unigrams[token] += weight
        for pair in itertools.pairwise(tokens):
            bigrams[pair] += weight
    total, size = sum(unigrams.values()), len(unigrams)
    p_unigram = {word: (count + 1) / (total + size) for word, count in unigrams.items()}
    followers: dict[str, list[tuple[str, int]]] = collections.defaultdict(list)
    for (first, second), count in bigrams.items():
        followers[first].append((second, count))
    backoff: dict[str, float] = {}
    for word in unigrams:
        nexts = followers.get(word, [])
        if not nexts:
            backoff[word] = 0.0
            continue
        kept = sum((count - DISCOUNT) / unigrams[word] for _, count in nexts)
        covered = sum(p_unigram[second] for second, _ in nexts)
        backoff[word] = math.log10(max(1e-6, 1 - kept) / max(1e-6, 1 - covered))
    lines = ["\\data\\", f"ngram 1={size}", f"ngram 2={len(bigrams)}", "", "\\1-grams:"]
    for word in sorted(unigrams):
        probability = -99.0 if word == "<s>" else math.log10(p_unigram[word])
        lines.append(f"{probability:.5f} {word} {backoff[word]:.5f}")
    lines += ["", "\\2-grams:"]
    for (first, second), count in sorted(bigrams.items()):
        lines.append(f"{math.log10((count - DISCOUNT) / unigrams[first]):.5f} {first} {second}")
    lines += ["", "\\end\\", ""]
    directory.mkdir(parents=True, exist_ok=True)
    arpa = directory / "lm.arpa"
    arpa.write_text("\n".join(lines), encoding="utf-8")
    vocabulary = frozenset(word for word in unigrams if word not in ("<s>", "</s>"))
    dictionary = directory / "words.dict"
    with dictionary.open("w", encoding="utf-8") as out:
        for word in sorted(vocabulary):
            for index, phones in enumerate(known[word]):
                out.write(f"{word if index == 0 else f'{word}({index + 1})'} {phones}\n")
    return LanguageModelFiles(arpa, dictionary, vocabulary)
