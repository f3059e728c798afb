"""The session report from what the store holds: live time from room.status events, talk time from talk
spans (estimated from the words where none was measured), student questions, credits, and incidents in
words; the totals add up; the talk meter opens and closes spans from the page's signals."""

from __future__ import annotations

from typing import Any

import pytest

from state import talk_time
from state.database import Database
from state.models import Session
from state.reports import WORDS_PER_SECOND, is_question, session_report
from state.repository import Repository
from state.talk_time import MAX_SPAN_SECONDS
from tests.state.conftest import sample_session

T0 = 1_800_000_000.0


async def at(db: Database, when: float, kind: str, session: Session, room: int, **detail: Any) -> None:
    async with db.transaction() as tx:
        tx.now = T0 + when
        await tx.append_event(kind, session_id=session.id, room_id=session.rooms[room].id, detail=detail)


async def said(db: Database, session: Session, room: int, when: float, speaker: str, role: str, text: str) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO transcripts (room_id, speaker, role, text, time) VALUES (?, ?, ?, ?, ?)",
            (session.rooms[room].id, speaker, role, text, T0 + when),
        )


async def talked(db: Database, session: Session, room: int, role: str, start: float, end: float | None) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO talk_spans (room_id, role, started_at, ended_at) VALUES (?, ?, ?, ?)",
            (session.rooms[room].id, role, T0 + start, None if end is None else T0 + end),
        )


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("What is a base case?", True),
        ("how do i find the base case", True),
        ("so why does it stop", True),
        ("The case that stops the recursion.", False),
        ("I think it is the smallest input", False),
        ("Really?", True),
        ("", False),
    ],
)
def test_questions_are_recognised_without_punctuation(text: str, question: bool) -> None:
    assert is_question(text) is question


async def test_the_report_of_a_class(repo: Repository, db: Database) -> None:
    session, _ = await repo.sessions.create(sample_session(rooms=2))
    # Room 1: live 0–100, a restart at 100, live again 130–400, ended at 400.
    await at(db, 0, "room.status", session, 0, status="live", previous="in_main_session")
    await at(
        db,
        100,
        "room.status",
        session,
        0,
        status="recovering",
        reason="crashed",
        reason_text="The bot's browser crashed.",
    )
    await at(db, 110, "avatar.dropped", session, 0, reason="SERVER_INITIATED")
    await at(db, 130, "room.status", session, 0, status="live", previous="joining_breakout")
    await at(db, 400, "room.status", session, 0, status="ended", previous="live", reason="session_ended")
    await said(db, session, 0, 10, "Grace Hopper", "student", "What is a base case?")
    await said(db, session, 0, 20, "Prof (AI)", "avatar", "What do you think?")
    await said(db, session, 0, 30, "Alan Turing", "student", "how do we know it stops")
    await said(db, session, 0, 40, "Grace Hopper", "student", "It is the smallest input.")
    await talked(db, session, 0, "student", 10, 14)
    await talked(db, session, 0, "student", 30, 33)
    await talked(db, session, 0, "avatar", 20, 26)
    await talked(db, session, 0, "avatar", 200, None)  # never closed: counted up to MAX_SPAN_SECONDS
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO avatar_sessions (id, room_id, status, created_at, minutes, credits) "
            "VALUES ('av_1', ?, 'stopped', ?, 6.5, 14), ('av_2', ?, 'failed', ?, 0, 0)",
            (session.rooms[0].id, T0, session.rooms[0].id, T0),
        )
    await at(db, 5, "avatar.stopped", session, 0, avatar_session_id="av_2", status="failed", reason="token: 402")
    # Room 2: failed at once; its avatar said one line that no speaking signal measured.
    await at(
        db,
        5,
        "room.status",
        session,
        1,
        status="failed",
        reason="bad_passcode",
        reason_text="The meeting passcode is wrong.",
    )
    await said(db, session, 1, 6, "Prof (AI)", "avatar", "Hello there, welcome to the room")

    async with db.transaction() as tx:
        for position, (status, ended) in enumerate((("ended", 400), ("failed", 5))):
            await tx.execute(
                "UPDATE rooms SET status = ?, ended_at = ? WHERE id = ?",
                (status, T0 + ended, session.rooms[position].id),
            )
    refreshed = await repo.sessions.require(session.id)
    report = await session_report(db, refreshed, now=T0 + 1000)
    one, two = report.rooms
    assert one.live_seconds == pytest.approx(100 + 270)
    assert one.first_live_at == pytest.approx(T0)
    assert one.students == ("Grace Hopper", "Alan Turing")
    assert (one.student_talk.seconds, one.student_talk.measured) == (pytest.approx(7), True)
    assert (one.avatar_talk.seconds, one.avatar_talk.measured) == (pytest.approx(6 + MAX_SPAN_SECONDS), True)
    assert one.student_questions == 2 and one.student_lines == 3 and one.avatar_lines == 1
    assert (one.minutes, one.credits) == (6.5, 14)
    assert (one.restarts, one.failures) == (1, 1)
    assert [i.kind for i in one.incidents] == ["avatar_failed", "restart", "avatar_dropped"]
    assert one.incidents[1].words == "The bot was restarted: The bot's browser crashed."
    assert "SERVER_INITIATED" in one.incidents[2].words
    assert two.live_seconds == 0 and two.failures == 1
    assert two.incidents[0].words == "The room failed: The meeting passcode is wrong."
    assert two.avatar_talk.measured is False
    assert two.avatar_talk.seconds == pytest.approx(6 / WORDS_PER_SECOND)
    assert report.student_questions == 2 and report.credits == 14 and report.failures == 2
    assert report.live_seconds == pytest.approx(370)


async def test_the_talk_meter_opens_and_closes_spans(repo: Repository, db: Database) -> None:
    session, _ = await repo.sessions.create(sample_session(rooms=1))
    room_id = session.rooms[0].id
    await talk_time.record_signal(db, room_id, "avatar.talking", {"talking": True})
    await talk_time.record_signal(db, room_id, "avatar.talking", {"talking": True})  # still the same span
    await talk_time.record_signal(db, room_id, "student.speaking", {"speaking": True})
    await talk_time.record_signal(db, room_id, "avatar.talking", {"talking": False})
    await talk_time.record_signal(db, room_id, "student.speaking", {"speaking": False})
    await talk_time.record_signal(db, room_id, "student.speaking", {"speaking": False})  # nothing open
    await talk_time.record_signal(db, room_id, "avatar.state", {"state": "CONNECTED"})  # not a signal
    spans = await talk_time.spans(db, room_id)
    assert [(s.role, s.ended_at is not None) for s in spans] == [("avatar", True), ("student", True)]
    assert all(s.ended_at is not None and s.ended_at >= s.started_at for s in spans)
