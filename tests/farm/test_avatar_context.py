"""The avatar context names everyone, carries the rules, and fits the vendor's limit with a marker."""

from __future__ import annotations

from farm.conversation.avatar_context import PROMPT_LIMIT, TRIM_MARKER, build_context


def _context(material: str, **changes: object) -> str:
    values: dict[str, object] = {
        "professor_name": "Prof. Ada Lovelace",
        "teaching_style": "Warm; asks for reasoning first.",
        "student_name": "Grace",
        "student_background": "Strong in maths, new to Python.",
        "course_name": "CS 101",
        "course_material": material,
        "room_name": "Room 1",
    }
    values.update(changes)
    return build_context(**values).prompt  # type: ignore[arg-type]


def test_everyone_and_the_rules_are_in_the_prompt() -> None:
    prompt = _context("Recursion: base case, recursive step.")
    for words in ("Prof. Ada Lovelace", "Grace", "Strong in maths", "CS 101", "Room 1", "Socratically", "base case"):
        assert words in prompt
    assert TRIM_MARKER not in prompt


def test_long_material_is_trimmed_with_a_marker_and_the_rules_survive() -> None:
    prompt = _context("lecture notes " * 5000)
    assert len(prompt) <= PROMPT_LIMIT
    assert prompt.endswith(TRIM_MARKER)
    assert "Socratically" in prompt and "Grace" in prompt


def test_professor_instructions_and_an_oversized_style_still_fit() -> None:
    prompt = _context("", extra_instructions="Focus on base cases.", teaching_style="x" * 20_000)
    assert len(prompt) <= PROMPT_LIMIT and prompt.endswith(TRIM_MARKER)
    assert "Instructions from the professor" not in prompt or "Focus on base cases." in prompt
    short = _context("", extra_instructions="Focus on base cases.")
    assert "Focus on base cases." in short
