"""Ready-made scenes for dashboard tests, screenshots and demos: a 6-room class in varied states with the
simulated avatar's frames as thumbnails."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.async_api import Browser

from state.models import RoomStatus, TranscriptRole
from tests.dashboard.conftest import DashboardServer
from tests.dashboard.thumbnails import Look, avatar_thumbnails

PROFESSOR = "Prof. Ada Lovelace"
SIX_ROOMS = [
    ("Room 1 · Recursion", "Grace Hopper"),
    ("Room 2 · Base cases", "Alan Turing"),
    ("Room 3 · Call stacks", "Katherine Johnson"),
    ("Room 4 · Memoisation", "Edsger Dijkstra"),
    ("Room 5 · Proofs", "Barbara Liskov"),
    ("Room 6 · Practice", "Donald Knuth"),
]


@dataclass(frozen=True)
class Scene:
    session_id: str
    rooms: dict[str, str]


async def six_room_class(server: DashboardServer, browser: Browser) -> Scene:
    """Two rooms live with their avatar (one talking), one live while its avatar restarts (the bot sends its
    placeholder card), one in the waiting room, one joining (their avatars already run: the avatar connects
    before the bot joins), one failed with its reason in words. Usage and transcripts included."""
    session = await server.create_session(
        SIX_ROOMS,
        professor={"name": PROFESSOR, "avatar_id": "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"},
        course={"name": "CS 101: Algorithms — week 4", "context": "Recursion and base cases."},
    )
    ids = await server.room_ids(session)
    farm = server.farm
    r = [ids[name] for name, _ in SIX_ROOMS]
    frames = await avatar_thumbnails(
        browser,
        [
            Look(PROFESSOR, caption="What happens when n reaches zero?", speaking=True),
            Look(PROFESSOR, listening=True, shirt="#5b3f8a"),
            Look(PROFESSOR, placeholder="avatar restarting…", room="Room 3"),
            Look(PROFESSOR, placeholder="AI tutor for Room 4 — waiting to be admitted…", room="Room 4"),
            Look(PROFESSOR, placeholder="AI tutor for Room 5 — say hello to start", room="Room 5"),
        ],
    )
    await farm.join(r[0])
    await farm.backdate_live(r[0], 12 * 60 + 31)
    await farm.bill(r[0], minutes=12.5, credits=26.0)
    farm.heartbeat(r[0], thumbnail=frames[0], talking=True)
    await farm.transcript(r[0], "Grace Hopper", TranscriptRole.student, "Does the function call itself forever?")
    await farm.transcript(r[0], PROFESSOR, TranscriptRole.avatar, "What happens when n reaches zero?")

    await farm.join(r[1])
    await farm.backdate_live(r[1], 11 * 60 + 4)
    await farm.bill(r[1], minutes=11.0, credits=23.0)
    farm.heartbeat(r[1], thumbnail=frames[1], talking=False, level_in=0.2)

    await farm.join(r[2])
    await farm.backdate_live(r[2], 9 * 60 + 17)
    await farm.bill(r[2], minutes=9.25, credits=19.5)
    farm.heartbeat(r[2], thumbnail=frames[2], avatar_ready=False)

    await farm.join(r[3], until=RoomStatus.waiting_room)
    farm.heartbeat(r[3], thumbnail=frames[3], people=0)
    await farm.join(r[4], until=RoomStatus.in_room)
    await farm.backdate_live(r[4], 6 * 60)
    farm.heartbeat(r[4], thumbnail=frames[4], people=0, avatar_ready=False)

    await farm.join(r[5], until=RoomStatus.in_main_session)
    await farm.crash(
        r[5],
        reason="blocked_as_bot",
        reason_text="Zoom refused the join: the Meeting SDK may not be used by bots in this account.",
    )
    return Scene(session["id"], ids)
