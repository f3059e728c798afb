"""The room runner's supervision and policy, with a scripted browser node (no Chromium): missing heartbeats,
crash loops and the budget, refusals that must not be retried, auto-leave, console lines as events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from farm.materials.files import MaterialFiles
from farm.materials.intake import take_in
from farm.money.allowance_cutoff import cut_off_spent_allowances
from farm.room.commands import RoomCommand
from state.models import RoomStatus, TranscriptRole
from state.professors_repository import ADMIN_ID
from tests.support.scripted_pages import Rig, ScriptedBrowser, go_live, in_room


async def test_a_bot_without_heartbeats_is_relaunched(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory(heartbeat_timeout=0.6)
    bot = await rig.live_bot()
    detail = await rig.wait_passed(RoomStatus.recovering)
    assert detail["reason"] == "hung" and "no heartbeat" in detail["reason_text"]
    assert bot.closed
    second = await rig.live_bot(2)
    bots = await rig.repository.bots.in_room(rig.room_id)
    assert [(b.attempt, b.end_reason) for b in bots] == [(1, "hung"), (2, None)]
    second.heartbeat()


async def test_a_crash_loop_spends_the_budget_and_says_why(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory(retry_budget=2)
    for attempt in (1, 2, 3):
        bot = await rig.node.next_bot(attempt)
        bot.on_notice("browser.disconnected", {})
    _, reason, text = await rig.wait_status(RoomStatus.failed, within=30)
    assert reason == "crashed"
    assert text == "Gave up after 3 attempts. Last problem: The bot's browser crashed."
    # No page ever asked for an avatar, so none was started or billed.
    assert await rig.repository.avatars.in_room(rig.room_id) == []
    assert len(rig.node.bots) == 3


async def test_a_refusal_that_cannot_change_is_not_retried(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory()
    bot = await rig.node.next_bot(1)
    bot.state("joining")
    bot.state("failed", reason="kicked", reason_text="The host removed the bot from the meeting.")
    _, reason, text = await rig.wait_status(RoomStatus.failed)
    assert (reason, text) == ("kicked", "The host removed the bot from the meeting.")
    await asyncio.sleep(0.5)
    assert len(rig.node.bots) == 1


async def test_no_avatar_until_the_page_asks_and_none_after_it_lets_go(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory()
    bot = await rig.node.next_bot(1)
    await in_room(bot)
    await rig.wait_status(RoomStatus.in_room)
    await asyncio.sleep(0.3)
    assert await rig.repository.avatars.in_room(rig.room_id) == []
    bot.event("avatar.wanted", why="human_arrived", humans=["Grace Hopper"], room="Room 1")
    await rig.wait_status(RoomStatus.live)
    [first] = await rig.repository.avatars.in_room(rig.room_id)
    assert first.status.value == "active" and first.vendor_session_id
    assert (await rig.services.liveavatar.session(first.vendor_session_id)).end_reason is None
    # The context greets the student by their meeting name.
    room = await rig.repository.sessions.get_room(rig.room_id)
    assert room is not None and room.avatar_context_id
    context = await rig.services.liveavatar._call("GET", f"/v1/contexts/{room.avatar_context_id}")
    assert context["opening_text"].startswith("Hi Grace Hopper!")

    bot.report({"type": "event", "kind": "transcript", "detail": {"role": "student", "text": "What is a base case?"}})
    bot.event("avatar.released", why="idle", room="Room 1")
    bot.state("idle", detail={"room": "Room 1", "why": "idle"})
    _, reason, text = await rig.wait_status(RoomStatus.idle)
    assert reason == "idle" and text is not None and "paused" in text
    for _ in range(100):
        [closed] = await rig.repository.avatars.in_room(rig.room_id)
        if closed.status.value == "stopped":
            break
        await asyncio.sleep(0.05)
    assert closed.end_reason == "idle"
    # Billing stopped at the vendor, with the API key.
    assert (await rig.services.liveavatar.session(first.vendor_session_id)).end_reason == "USER_CLOSED"

    # Speech brings a fresh session whose context carries the conversation so far.
    bot.event("avatar.wanted", why="speech", humans=["Grace Hopper"], room="Room 1")
    for _ in range(100):
        if len(bot.tokens) == 2:
            break
        await asyncio.sleep(0.05)
    context = await rig.services.liveavatar._call("GET", f"/v1/contexts/{room.avatar_context_id}")
    assert "What is a base case?" in context["prompt"]
    assert context["opening_text"].startswith("Welcome back, Grace Hopper!")
    assert len(await rig.repository.avatars.in_room(rig.room_id)) == 2


async def test_an_avatar_start_is_one_requested_event_with_why_who_and_its_row(
    rig_factory: Callable[..., Any],
) -> None:
    rig: Rig = await rig_factory()
    await rig.live_bot()
    [row] = await rig.repository.avatars.in_room(rig.room_id)
    events = await rig.repository.events.all(room_id=rig.room_id, limit=1000)
    requested = [event.detail for event in events if event.kind == "avatar.requested"]
    assert requested == [{"avatar_session_id": row.id, "why": "human_arrived", "humans": ["Grace Hopper"]}]


async def test_a_spent_budget_declines_the_avatar_in_words(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory()
    rig.services.settings = rig.services.settings.model_copy(update={"session_credit_budget": 0.001})
    bot = await rig.live_bot()
    [row] = await rig.repository.avatars.in_room(rig.room_id)
    await rig.repository.avatars.record_usage(row.id, minutes=1.0, credits=2.0)
    bot.event("avatar.released", why="room_empty", room="Room 1")
    bot.state("idle", detail={"room": "Room 1", "why": "room_empty"})
    await rig.wait_status(RoomStatus.idle)
    bot.event("avatar.wanted", why="human_arrived", humans=["Alan"], room="Room 1")
    for _ in range(100):
        if any("declineAvatar" in call for call in bot.calls):
            break
        await asyncio.sleep(0.05)
    assert any("declineAvatar" in call for call in bot.calls)
    assert len(bot.tokens) == 1
    events = [e for e in await rig.repository.events.recent(room_id=rig.room_id) if e.kind == "avatar.declined"]
    assert events and "budget" in events[0].detail["words"]


async def test_a_spent_monthly_allowance_declines_the_avatar_in_words(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory()
    await rig.repository.professors.set_allowance(ADMIN_ID, 1.5)  # the rig's session is the admin's
    bot = await rig.live_bot()
    [row] = await rig.repository.avatars.in_room(rig.room_id)
    await rig.repository.avatars.record_usage(row.id, minutes=1.0, credits=2.0)
    bot.event("avatar.released", why="room_empty", room="Room 1")
    bot.state("idle", detail={"room": "Room 1", "why": "room_empty"})
    await rig.wait_status(RoomStatus.idle)
    bot.event("avatar.wanted", why="human_arrived", humans=["Alan"], room="Room 1")
    for _ in range(100):
        if any("declineAvatar" in call for call in bot.calls):
            break
        await asyncio.sleep(0.05)
    assert any("declineAvatar" in call for call in bot.calls)
    assert len(bot.tokens) == 1
    events = [e for e in await rig.repository.events.recent(room_id=rig.room_id) if e.kind == "avatar.declined"]
    assert events and "this month's credit allowance (2.0 of 1.5 credits)" in events[0].detail["words"]


async def test_a_running_avatar_is_cut_off_when_the_monthly_allowance_runs_out(
    rig_factory: Callable[..., Any],
) -> None:
    rig: Rig = await rig_factory()
    await rig.repository.professors.set_allowance(ADMIN_ID, 1.5)  # the rig's session is the admin's
    bot = await rig.live_bot()
    assert await cut_off_spent_allowances(rig.repository.professors, [rig.runner]) == set()  # room left: it runs on
    [row] = await rig.repository.avatars.in_room(rig.room_id)
    await rig.repository.avatars.record_usage(row.id, minutes=1.0, credits=2.0)
    assert await cut_off_spent_allowances(rig.repository.professors, [rig.runner]) == {ADMIN_ID}
    _, reason, text = await rig.wait_status(RoomStatus.idle)
    assert reason == "allowance_reached" and text is not None
    assert "this month's credit allowance (2.0 of 1.5 credits)" in text
    assert any("stopAvatar" in call for call in bot.calls)  # the page stops its avatar and keeps its placeholder
    [closed] = await rig.repository.avatars.in_room(rig.room_id)
    assert closed.status.value == "stopped" and closed.stopped_at is not None and closed.end_reason
    assert await rig.services.liveavatar.active_sessions() == []  # billing stopped at the vendor
    cut = [e for e in await rig.repository.events.recent(room_id=rig.room_id) if e.kind == "avatar.cut_off"]
    assert len(cut) == 1 and cut[0].detail["words"] == text
    # The page's own report of the stop keeps the words; a student speaking again is declined in words.
    bot.state("idle", detail={"room": "Room 1", "why": "allowance_reached"})
    bot.event("avatar.wanted", why="speech", humans=["Grace Hopper"], room="Room 1")
    for _ in range(100):
        if any("declineAvatar" in call for call in bot.calls):
            break
        await asyncio.sleep(0.05)
    assert any("declineAvatar" in call for call in bot.calls)
    assert await rig.status() == (RoomStatus.idle, "allowance_reached", text)
    assert len(bot.tokens) == 1
    assert await cut_off_spent_allowances(rig.repository.professors, [rig.runner]) == set()  # nothing runs to cut off


async def test_the_maximum_duration_is_enforced(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory(max_room_seconds=0.2)
    bot = await rig.node.next_bot(1)
    await go_live(bot)
    await asyncio.sleep(0.3)
    bot.heartbeat()
    _, reason, _ = await rig.wait_status(RoomStatus.ended)
    assert reason == "max_duration"


async def test_console_lines_and_page_errors_become_room_events(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory()
    bot = await rig.node.next_bot(1)
    await go_live(bot)
    bot.on_notice("page.console", {"level": "error", "text": "Failed to load resource"})
    bot.on_notice("page.error", {"message": "TypeError: x is undefined"})
    bot.report({"type": "event", "kind": "transcript", "detail": {"role": "student", "text": "What is a base case?"}})
    for _ in range(100):
        kinds = [e.kind for e in await rig.repository.events.recent(room_id=rig.room_id)]
        if "bot.page.error" in kinds and "transcript" in kinds:
            break
        await asyncio.sleep(0.05)
    assert "bot.page.console" in kinds and "bot.page.error" in kinds
    [line] = await rig.repository.transcripts.in_room(rig.room_id)
    # Without an active speaker from the SDK, the one person in the room is the speaker.
    assert (line.speaker, line.role.value, line.text) == ("Grace Hopper", "student", "What is a base case?")


async def test_leave_and_restart_commands(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory()
    await rig.live_bot()
    rig.runner.request(RoomCommand.restart)
    await rig.live_bot(2)
    rig.runner.request(RoomCommand.leave)
    _, reason, _ = await rig.wait_status(RoomStatus.ended)
    assert reason == "left"
    bots = await rig.repository.bots.in_room(rig.room_id)
    assert [b.end_reason for b in bots] == ["restart_requested", "left"]
    assert await rig.repository.avatars.unclosed() == []


async def _tokens(bot: ScriptedBrowser, count: int) -> None:
    for _ in range(200):
        if len(bot.tokens) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} avatar start(s), saw {len(bot.tokens)}")


async def test_no_restart_after_liveavatar_ends_a_session_for_good(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory()
    bot = await rig.live_bot()
    bot.event("avatar.stopped", stop_reason="NO_CREDITS")
    bot.event("avatar.dropped", reason="SERVER_INITIATED")
    _, reason, text = await rig.wait_status(RoomStatus.idle)
    assert reason == "avatar_no_credits" and text is not None and "no credits" in text
    assert any("stopAvatar" in call for call in bot.calls)
    [closed] = await rig.repository.avatars.in_room(rig.room_id)
    assert closed.status.value == "stopped"
    # A student speaking again does not bring an avatar that cannot start: the page is told so, in words.
    bot.event("avatar.wanted", why="speech", humans=["Grace Hopper"], room="Room 1")
    for _ in range(100):
        if any("declineAvatar" in call for call in bot.calls):
            break
        await asyncio.sleep(0.05)
    assert any("declineAvatar" in call for call in bot.calls)
    assert len(bot.tokens) == 1


async def test_a_dropped_avatar_takes_the_room_out_of_live_until_its_new_session_plays(
    rig_factory: Callable[..., Any],
) -> None:
    rig: Rig = await rig_factory()
    bot = await rig.live_bot()
    bot.avatar_starts = False
    # What the page reports when its avatar's connection ends unasked: not live first, then the drop.
    bot.state("avatar_connecting", detail={"room": "Room 1", "why": "dropped"})
    bot.event("avatar.dropped", reason="SERVER_INITIATED")
    await _tokens(bot, 2)
    status, reason, text = await rig.status()
    assert (status, reason) == (RoomStatus.avatar_connecting, "avatar_dropped")
    assert text is not None and "dropped" in text
    rows = await rig.repository.avatars.in_room(rig.room_id)
    assert [row.status.value for row in rows] == ["stopped", "requested"]
    bot.event("avatar.ready", session_id="x")
    bot.state("live")
    _, reason, _ = await rig.wait_status(RoomStatus.live)
    assert reason == "avatar_dropped"  # live again, and still says why it was restarted
    bot.state("idle", detail={"room": "Room 1", "why": "idle"})
    await rig.wait_status(RoomStatus.idle)
    bot.state("avatar_connecting", detail={"room": "Room 1", "why": "speech"})
    _, reason, _ = await rig.wait_status(RoomStatus.avatar_connecting)
    assert reason is None  # an avatar asked for anew is not a restart


async def test_an_avatar_the_farm_gave_up_on_that_the_page_took_late_is_replaced_when_it_drops(
    rig_factory: Callable[..., Any],
) -> None:
    rig: Rig = await rig_factory()
    bot = await rig.node.next_bot(1)
    bot.start_answers = False
    await go_live(bot)
    for _ in range(200):  # the page did not answer: the farm stops billing for the session it minted
        rows = await rig.repository.avatars.in_room(rig.room_id)
        if [row.status.value for row in rows] == ["stopped"]:
            break
        await asyncio.sleep(0.05)
    [given_up] = rows
    assert given_up.vendor_session_id is not None
    assert (await rig.services.liveavatar.session(given_up.vendor_session_id)).end_reason == "USER_CLOSED"
    # The page took the token after all and played it until LiveAvatar ended it: it waits for a new one.
    bot.start_answers = True
    bot.state("avatar_connecting", detail={"room": "Room 1", "why": "joined_room"})
    bot.state("live")
    bot.state("avatar_connecting", detail={"room": "Room 1", "why": "dropped"})
    bot.event("avatar.dropped", reason="SERVER_INITIATED", session_id=given_up.vendor_session_id)
    await _tokens(bot, 2)
    await rig.wait_status(RoomStatus.live)
    rows = await rig.repository.avatars.in_room(rig.room_id)
    assert [row.status.value for row in rows] == ["stopped", "active"]


async def test_a_deaf_avatar_is_restarted_once_and_said_in_words(rig_factory: Callable[..., Any]) -> None:
    rig: Rig = await rig_factory()
    bot = await rig.live_bot()
    bot.event("avatar.deaf", voice_chat="INACTIVE")
    await _tokens(bot, 2)
    bot.event("avatar.deaf", voice_chat="INACTIVE")
    for _ in range(60):
        _, reason, text = await rig.status()
        if reason == "avatar_deaf":
            break
        await asyncio.sleep(0.05)
    assert reason == "avatar_deaf" and text is not None and "could not hear" in text
    await asyncio.sleep(0.5)
    assert len(bot.tokens) == 2  # once, not in a loop
    sessions = await rig.repository.avatars.in_room(rig.room_id)
    assert [s.status.value for s in sessions] == ["stopped", "active"]


async def test_a_frozen_picture_is_handled_like_a_drop(
    rig_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("farm.room.avatar_sessions.STALL_RESTART_SECONDS", 0.3)
    rig: Rig = await rig_factory()
    bot = await rig.live_bot()
    bot.event("avatar.stalled", stalled=True)
    bot.event("avatar.stalled", stalled=False)  # it came back: nothing happens
    await asyncio.sleep(0.6)
    assert len(bot.tokens) == 1
    bot.event("avatar.stalled", stalled=True)
    await _tokens(bot, 2)
    kinds = [e.kind for e in await rig.repository.events.all(room_id=rig.room_id, limit=1000)]
    assert "avatar.dropped" in kinds and "avatar.restarted" in kinds


async def test_the_farm_keeps_live_avatars_alive_with_the_api_key(
    rig_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("farm.room.avatar_sessions.KEEP_ALIVE_SECONDS", 0.2)
    rig: Rig = await rig_factory()
    await rig.live_bot()
    admin = rig.admin
    for _ in range(100):
        calls = (await admin.get("/admin/calls", params={"path": "/v1/sessions/keep-alive"})).json()["data"]
        if calls:
            break
        await asyncio.sleep(0.05)
    assert calls and all(c["auth"] == "api_key" for c in calls)


async def test_a_session_ended_while_its_avatar_is_minted_never_starts_that_avatar(
    rig_factory: Callable[..., Any],
) -> None:
    rig: Rig = await rig_factory()
    slow = {"method": "POST", "path": "/v1/sessions/token", "fault": "slow", "hang_seconds": 1.5}
    assert (await rig.admin.post("/admin/faults", json=slow)).status_code in (200, 201)
    bot = await rig.node.next_bot(1)
    await go_live(bot)
    for _ in range(200):  # the token request has reached LiveAvatar
        if (await rig.admin.get("/admin/calls", params={"path": "/v1/sessions/token"})).json()["data"]:
            break
        await asyncio.sleep(0.02)
    room = await rig.repository.sessions.get_room(rig.room_id)
    assert room is not None
    await rig.repository.sessions.begin_ending(room.session_id, "ended by the professor")

    for _ in range(200):
        if any("declineAvatar" in call for call in bot.calls):
            break
        await asyncio.sleep(0.05)
    assert bot.tokens == [], "the page was given an avatar of an ending session"
    [row] = await rig.repository.avatars.in_room(rig.room_id)
    assert row.vendor_session_id and row.status.value == "stopped"
    vendor = (await rig.admin.get("/admin/sessions")).json()["data"]
    assert [s["status"] for s in vendor if s["id"] == row.vendor_session_id] == ["ENDED"]


async def test_instructions_given_before_the_avatar_starts_reach_it_at_its_start(
    rig_factory: Callable[..., Any],
) -> None:
    rig: Rig = await rig_factory()
    bot = await rig.node.next_bot(1)
    await in_room(bot)
    await rig.wait_status(RoomStatus.in_room)
    await rig.repository.sessions.set_room_context(rig.room_id, "Today: tail recursion and accumulators.")
    await rig.runner.update_context("Today: tail recursion and accumulators.")  # no avatar yet: nothing to refresh
    bot.event("avatar.wanted", why="human_arrived", humans=["Grace Hopper"], room="Room 1")
    await rig.wait_status(RoomStatus.live)
    room = await rig.repository.sessions.get_room(rig.room_id)
    assert room is not None and room.avatar_context_id
    context = await rig.services.liveavatar._call("GET", f"/v1/contexts/{room.avatar_context_id}")
    assert "tail recursion and accumulators" in context["prompt"]


async def test_a_context_deleted_at_liveavatar_is_made_again_at_the_next_start(
    rig_factory: Callable[..., Any],
) -> None:
    rig: Rig = await rig_factory()
    bot = await rig.live_bot()
    room = await rig.repository.sessions.get_room(rig.room_id)
    assert room is not None and room.avatar_context_id
    first_context = room.avatar_context_id
    bot.event("avatar.released", why="room_empty", room="Room 1")
    bot.state("idle", detail={"room": "Room 1", "why": "room_empty"})
    await rig.wait_status(RoomStatus.idle)
    await rig.services.liveavatar.delete_context(first_context)  # someone tidied up the LiveAvatar account

    bot.event("avatar.wanted", why="human_arrived", humans=["Alan"], room="Room 1")
    await rig.wait_status(RoomStatus.live)
    room = await rig.repository.sessions.get_room(rig.room_id)
    assert room is not None and room.avatar_context_id and room.avatar_context_id != first_context
    assert len(bot.tokens) == 2


async def test_a_cancelled_runner_stops_even_when_a_report_arrives_at_that_moment(
    rig_factory: Callable[..., Any],
) -> None:
    rig: Rig = await rig_factory()
    bot = await rig.live_bot()
    bot.heartbeat()  # queued for the supervisor in the same instant as the cancellation below
    async with asyncio.timeout(10):
        await rig.runner.cancel()
    assert rig.runner.done.is_set()
    assert len(rig.node.bots) == 1, "the runner carried on after being cancelled"


async def test_an_avatar_start_gets_the_course_passages_its_room_needs_and_they_are_recorded(
    rig_factory: Callable[..., Any], tmp_path: Path
) -> None:
    rig: Rig = await rig_factory()
    files = MaterialFiles(tmp_path / "var")
    for name, text in (
        ("heaps.md", "A binary heap keeps every parent at least as large as its children; sift-down restores it."),
        ("hashing.md", "Linear probing suffers primary clustering: long runs of occupied slots."),
        ("graphs.txt", "Dijkstra's algorithm needs non-negative edge weights."),
        ("poetry.md", "Sonnets have fourteen lines."),
    ):
        incoming = files.receive(10_000)
        incoming.write(text.encode())
        await take_in(
            rig.repository.materials, files, owner_id=ADMIN_ID, course="cs 101", filename=name, incoming=incoming
        )
    graphs = next(m for m in await rig.repository.materials.all("CS 101") if m.filename == "graphs.txt")
    await rig.repository.materials.pin_passage(rig.room_id, (await rig.repository.materials.passages(graphs.id))[0].id)
    await rig.repository.sessions.set_room_context(rig.room_id, "Practise collisions with linear probing.")
    await rig.repository.transcripts.add(
        rig.room_id, speaker="Grace", role=TranscriptRole.student, text="why does sift-down fix my heap?"
    )
    await rig.live_bot()
    room = await rig.repository.sessions.get_room(rig.room_id)
    assert room is not None and room.avatar_context_id
    prompt = (await rig.services.liveavatar._call("GET", f"/v1/contexts/{room.avatar_context_id}"))["prompt"]
    assert "never invent a source" in prompt
    positions = [prompt.index(f"[{name}] ") for name in ("graphs.txt", "heaps.md", "hashing.md")]
    assert positions == sorted(positions)  # pinned first, then by relevance
    assert "[poetry.md]" not in prompt
    given = await rig.repository.materials.given_passages(rig.room_id)
    [(avatar_session_id, passages)] = given.items()
    assert [(p.source, p.pinned) for p in passages] == [
        ("graphs.txt", True),
        ("heaps.md", False),
        ("hashing.md", False),
    ]
    session = await rig.repository.sessions.require(room.session_id)
    report = await rig.repository.reports.session(session)
    [start] = report.rooms[0].avatar_starts
    assert start.avatar_session_id == avatar_session_id and start.passages == tuple(passages)


async def test_an_avatar_starts_without_passages_when_they_cannot_be_selected(
    rig_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> list[Any]:
        raise RuntimeError("the index is damaged")

    monkeypatch.setattr("farm.room.avatar_sessions.select_passages", broken)
    rig: Rig = await rig_factory()
    await rig.live_bot()
    assert await rig.repository.materials.given_passages(rig.room_id) == {}
    assert any("course passages could not be selected" in r.getMessage() for r in caplog.records)
