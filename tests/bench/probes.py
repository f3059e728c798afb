"""What the benchmarks ask of a running farm and the fake Zoom: whether every room of a session is live, the URL
a student joins a room by, and the frame rate each student receives from the bot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from tests.farm.harness import FarmStack

PROFESSOR = "Prof. Ada"  # the bots' name in the harness's sessions (their stream names start with it)


def all_live(stack: FarmStack, session_id: str) -> Callable[[], Awaitable[bool]]:
    """A check for `until`: every room of the session is live."""

    async def check() -> bool:
        session = await stack.session(session_id)
        return all(room["status"] == "live" for room in session["rooms"])

    return check


def join_url_at(zoom_url: str, number: str, student: str, room: str, *, audio: bool = False) -> str:
    """The fake Zoom's join page for `student`, straight into breakout `room`, camera on, microphone if `audio`."""
    query = urlencode({"name": student, "room": room, "pwd": "pw123", "audio": "1" if audio else "0"})
    return f"{zoom_url}/join/{number}?{query}"


def join_url(stack: FarmStack, number: str, student: str, room: str) -> str:
    """The fake Zoom's join page for `student`, straight into breakout `room`, camera on and no microphone."""
    return join_url_at(stack.zoom.base_url, number, student, room)


def speaking_join_url(stack: FarmStack, number: str, student: str, room: str) -> str:
    """As join_url, with the student's microphone on (its browser's fake audio capture)."""
    return join_url_at(stack.zoom.base_url, number, student, room, audio=True)


async def received_fps(stack: FarmStack, number: str, students: list[str]) -> dict[str, float | None]:
    """Each student's current received frame rate of the bot (None: not in the meeting or not receiving it yet)."""
    roster = await stack.zoom.roster(number)
    people = {p["name"]: p for p in roster["participants"]}
    rates: dict[str, float | None] = {}
    for student in students:
        streams = ((people.get(student) or {}).get("media") or {}).get("receiving") or []
        bot = next((s for s in streams if str(s.get("name", "")).startswith(PROFESSOR)), None)
        rates[student] = float(bot.get("videoFps") or 0.0) if bot is not None else None
    return rates
