"""The FULL-mode "LLM": a rule-based Socratic tutor built from the session's context and persona.

It answers a student with a question back or a hint that names the topic's key words, and never states an
answer: it only ever reuses single key words from the student's utterance and the context, never a context
sentence. Without a context the avatar is in LiveAvatar's "restricted mode" and does not reply at all.
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass

from fakes.liveavatar.contexts import ResolvedContext

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing don't down during each else ever every few for from further
    get give given go going got had has have having he her here hers him his how i i'm if in into is it it's its
    just know let like me might more most must my need never no nor not now of off on once only or other our out
    over own please really right same say should so some such sure tell than thank thanks that the their them then
    there these they think this those through to too try under until up us very want was we were what when where
    which while who whom why will with would yes yet you your yours okay hello hi question answer hint help mean
    means explain today always student students professor tutor socratic questions answers guiding topics topic
    session class group study never ask""".split()
)
_QUESTION_START = re.compile(r"^(what|why|how|when|where|which|who|whom|can|could|would|should|is|are|does|do|did)\b")
_WANTS_ANSWER = re.compile(r"\b(answer|tell me|just say|give me)\b")
_GREETING = re.compile(r"^(hello|hi|hey|good (morning|afternoon|evening))\b")


def _stem(word: str) -> str:
    return word[:6]


def content_words(text: str) -> list[str]:
    words = [word.lower().strip("'-") for word in _WORD.findall(text)]
    return [word for word in words if len(word) >= 4 and word not in STOPWORDS]


@dataclass(frozen=True)
class SocraticTutor:
    avatar_name: str
    context: ResolvedContext | None

    @property
    def restricted(self) -> bool:
        """LiveAvatar: "If no context is supplied, the avatar operates in restricted mode" (no replies)."""
        return self.context is None

    def topic_words(self) -> list[str]:
        if self.context is None:
            return []
        counts = collections.Counter(content_words(f"{self.context.name} {self.context.prompt}"))
        return [word for word, _ in counts.most_common(8)]

    def topic(self) -> str:
        if self.context is not None and self.context.name.strip():
            return self.context.name.strip()
        words = self.topic_words()
        return words[0] if words else "this topic"

    def _key_word(self, user_text: str) -> str:
        """The student's word most tied to the context (compared by stem); else the context's main word."""
        said = content_words(user_text)
        topic = self.topic_words()
        stems = {_stem(word) for word in content_words(self.context.vocabulary_text())} if self.context else set()
        for word in sorted(said, key=lambda word: (_stem(word) not in stems, -len(word))):
            return word
        return topic[0] if topic else "the problem"

    def reply(self, user_text: str, turn: int = 0) -> str | None:
        """What the avatar says back to `user_text` (the turn number varies the wording); None when restricted."""
        if self.restricted:
            return None
        text = " ".join(user_text.lower().split())
        if len(text) < 3:
            return "I didn't quite catch that. Could you say it again, maybe in other words?"
        key = self._key_word(text)
        topic = self.topic()
        if _GREETING.match(text) and not content_words(text):
            return f"Hello, I'm {self.avatar_name}. What are you working on in {topic} right now?"
        if _WANTS_ANSWER.search(text):
            return (
                f"I won't just hand you the answer, but here is a hint: start from what you know about {key}. "
                "What is the first step you would take?"
            )
        if _QUESTION_START.match(text) or text.endswith("?"):
            options = (
                f"Good question. Before I say anything, what do you already know about {key}?",
                f"Let's reason it out together. What happens to {key} in the simplest example you can think of?",
                f"Here is a hint: connect {key} with what we saw in {topic}. What do you notice?",
            )
        else:
            options = (
                f"Interesting. How did you arrive at that about {key}? Can you check it with an example?",
                f"Why do you think that is true for {key}? What would convince a classmate?",
                f"What would change about {key} if the numbers were different? Try it and tell me.",
            )
        return options[turn % len(options)]
