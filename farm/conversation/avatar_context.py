"""The avatar's instructions for one room: who it is (the professor, their teaching style), who it talks to
(the student and their background), what the course is about, and how to tutor (Socratic guidelines and
answer rules). Kept within LiveAvatar's context size limit: course material is trimmed first, with a marker.

With course materials uploaded, the material is the passages chosen for this room (farm/materials/passage_selection.py),
best first, each with its source, taken while they fit; the course's free text keeps a share before them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from farm.conversation.student_words import DECLINE_HINT, NO_NAME, spoken_name

# LiveAvatar publishes no context limit; its fake (and our budget) keeps a prompt to 10 000 characters.
PROMPT_LIMIT = 10_000
OPENING_LIMIT = 1_000
TRIM_MARKER = "\n[… course material trimmed to fit the avatar's context limit …]\n"
# Beside passages, the course's free text keeps at most this much (alone, it may fill the context).
COURSE_TEXT_SHARE = 2_000
PASSAGES_HEADER = (
    "\n\nPassages from the course materials, the most relevant to this room first, each after its source in "
    "brackets. Base your answers on them. When you use one, tell the student where to read it, for example "
    '"see algorithms-notes.pdf, page 28"; never invent a source.'
)

GUIDELINES = """\
How you tutor:
- Teach Socratically: answer a question with a guiding question, a hint, or a smaller step; never hand over a
  finished solution or the bare answer to an exercise.
- Ask the student to explain their reasoning before you correct it; build on what they already know.
- Keep every reply short (two or three sentences) and spoken-friendly: no lists, code blocks or formulas read
  symbol by symbol.
- If the student is stuck after two hints, give a worked example of a *similar* problem, not theirs.
- Stay on the course topic; if asked about something else, steer back kindly.
- If you are unsure, say so and suggest the student asks the professor."""


@dataclass(frozen=True)
class SourcedPassage:
    """A passage of the course materials with its source ("algorithms-notes.pdf, p. 28")."""

    passage_id: int | None
    source: str
    text: str
    pinned: bool = False

    def block(self) -> str:
        return f"\n[{self.source}] {self.text}"


@dataclass(frozen=True)
class AvatarContext:
    name: str
    prompt: str
    opening_text: str
    passages: tuple[SourcedPassage, ...] = ()  # those the prompt holds, in its order


def build_context(
    *,
    professor_name: str,
    teaching_style: str | None,
    student_name: str,
    student_background: str,
    course_name: str,
    course_material: str,
    room_name: str,
    extra_instructions: str | None = None,
    limit: int = PROMPT_LIMIT,
    passages: Sequence[SourcedPassage] = (),
    reserved: int = 0,
) -> AvatarContext:
    """The room's context. `passages` (best first) are taken while they fit; `reserved` characters are kept
    free for what the caller appends (the conversation so far)."""
    spoken = spoken_name(student_name)
    student_name = spoken or "the student"
    head = [
        f'You are an AI clone of {professor_name}, tutoring in the breakout room "{room_name}" of the course '
        f'"{course_name}".',
        f"Teaching style: {teaching_style.strip()}" if teaching_style and teaching_style.strip() else "",
        f"You are talking with {student_name}."
        + (f" What you know about {student_name}: {student_background.strip()}" if student_background.strip() else ""),
        GUIDELINES,
        f"Instructions from the professor for this room: {extra_instructions.strip()}"
        if extra_instructions and extra_instructions.strip()
        else "",
    ]
    fixed = "\n\n".join(part for part in head if part)
    limit = max(0, limit - reserved)
    material = course_material.strip()
    section = "\n\nCourse material:\n"
    given: list[SourcedPassage] = []
    if passages:
        if len(material) > COURSE_TEXT_SHARE:
            material = material[: COURSE_TEXT_SHARE - len(TRIM_MARKER)].rstrip() + TRIM_MARKER
        room = limit - len(fixed) - (len(section) + len(material) if material else 0) - len(PASSAGES_HEADER)
        for passage in passages:
            block = passage.block()
            if len(block) <= room:
                given.append(passage)
                room -= len(block)
        fixed += (section + material if material else "") + (
            PASSAGES_HEADER + "".join(p.block() for p in given) if given else ""
        )
        material = ""
    if material:
        room = limit - len(fixed) - len(section)
        if room <= len(TRIM_MARKER):
            material = ""
        elif len(material) > room:
            material = material[: room - len(TRIM_MARKER)].rstrip() + TRIM_MARKER
    prompt = fixed + (section + material if material else "")
    if len(prompt) > limit:  # the fixed part alone is too long: keep its start, marked
        prompt = prompt[: limit - len(TRIM_MARKER)] + TRIM_MARKER
    opening = (
        f"Hi {spoken or NO_NAME}! I'm {professor_name}'s AI tutor for {course_name}. {DECLINE_HINT} "
        "What are you working on?"
    )
    return AvatarContext(
        name=f"{course_name} · {room_name} · {student_name}"[:255],
        prompt=prompt,
        opening_text=opening[:OPENING_LIMIT],
        passages=tuple(given),
    )
