"""The avatar's instructions for one room: who it is (the professor, their teaching style), who it talks to
(the student and their background), what the course is about, and how to tutor (Socratic guidelines and
answer rules). Kept within LiveAvatar's context size limit: course material is trimmed first, with a marker.
"""

from __future__ import annotations

from dataclasses import dataclass

from farm.student_words import DECLINE_HINT, NO_NAME, spoken_name

# LiveAvatar publishes no context limit; its fake (and our budget) keeps a prompt to 10 000 characters.
PROMPT_LIMIT = 10_000
OPENING_LIMIT = 1_000
TRIM_MARKER = "\n[… course material trimmed to fit the avatar's context limit …]\n"

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
class AvatarContext:
    name: str
    prompt: str
    opening_text: str


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
) -> AvatarContext:
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
    material = course_material.strip()
    section = "\n\nCourse material:\n"
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
    )
