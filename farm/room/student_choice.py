"""A student is told the tutor is an AI and may decline it. Every greeting says "AI tutor" and how to decline;
a student who arrives while the avatar is already talking hears the same from it at once (DISCLOSURE). A
student who declines out loud ("stop", "I don't want to talk to an AI", …) has the room's avatar stopped: no
avatar starts again in that room until the professor restarts it from the dashboard, which tells them why. A
request written in the Zoom chat of the bot's room (`meeting.chat`) is read by the same rule and has the same
effect; the bot answers the student who wrote it in the chat (ACKNOWLEDGEMENT). Nothing else written there is kept.

A request to stop is a whole clause of a short utterance, addressed to the tutor: "what makes the recursion
stop?" is a question, not a request; "I don't want to talk to an AI, please stop" is one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from farm.conversation.student_words import DECLINE_HINT, NO_NAME, spoken_names

# Words that only fill ("please", "just", "can you", the tutor's name is not needed), removed before matching.
_FILLER = re.compile(r"\b(please|just|now|ok|okay|hey|um|uh|so|well|thanks|thank you|can you|could you)\b")
_WHO = "(an ai|a robot|a bot|you|the ai|the avatar)"
_REQUESTS = re.compile(
    "|".join(
        [
            "stop",
            "stop it",
            "stop talking( to me)?",
            "go away",
            "leave me alone",
            f"turn (it|yourself|{_WHO}) off",
            f"turn off {_WHO}",
            "no ai",
            "no more ai",
            "no robots?",
            "i opt out",
            "opt out",
            "i decline",
            f"i (do not|don't|dont) (want|wish) to (talk|speak|chat) (to|with) {_WHO}",
            "i (do not|don't|dont) want (an ai|a robot|a bot|this)",
            f"i('d| would) rather not (talk|speak|chat) (to|with) {_WHO}",
        ]
    )
)
MAX_WORDS = 12


def declines(said: str) -> bool:
    """Whether a student's utterance is a request that the AI tutor stop: short, and one of its clauses (split
    at punctuation and "and") is such a request in full."""
    text = said.lower().replace("’", "'")
    if len(text.split()) > MAX_WORDS:
        return False
    for clause in re.split(r"[,.;:!?]+|\band\b", text):
        words = " ".join(_FILLER.sub(" ", re.sub(r"[^\w' ]+", " ", clause)).split())
        if words and _REQUESTS.fullmatch(words):
            return True
    return False


def disclosure(names: Sequence[str], professor_name: str) -> str:
    """What the avatar says at once to students who arrive while it is live (names normalised first)."""
    people = spoken_names(names)
    who = ", ".join(people) if people else NO_NAME
    return f"Hi {who}, welcome! I am {professor_name}'s AI tutor, an AI, not {professor_name}. {DECLINE_HINT}"


# Where a student declined the AI tutor.
DeclineSource = Literal["voice", "chat"]

ACKNOWLEDGEMENT = "Understood: the AI tutor has stopped in this room, and your professor has been told."


class StudentDeclined(BaseModel):
    """A student asked the AI tutor to stop, out loud or in the chat."""

    source: DeclineSource
    # Whom to answer in the chat (the Zoom user id of the student who wrote).
    sender_id: int | None = None
