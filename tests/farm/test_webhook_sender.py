"""Webhooks: every change is in the outbox with its transaction, every delivery is signed (verified here with
the standardwebhooks package) and arrives once, in order; failures are retried with the same webhook-id and
given up after the budget with an event; a hanging receiver holds up only its own queue."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from farm.settings import load_settings
from farm.webhooks.secret import new_secret
from farm.webhooks.sender import WebhookSender, shown_url
from state import inspection
from state.database import Database
from state.models import Event, RoomStatus, TranscriptRole
from state.repository import Repository
from tests.state.conftest import sample_session
from tests.support.polling import until
from tests.support.servers import serve_app
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    db = await Database.open(tmp_path / "state.sqlite3")
    yield Repository(db)
    await db.close()


def sender(
    repo: Repository, urls: list[str], secret: str, *, budget: float = 60.0, timeout: float = 5.0
) -> WebhookSender:
    return WebhookSender(
        repo,
        tuple(urls),
        secret,
        budget_seconds=budget,
        first_retry_seconds=0.05,
        max_retry_seconds=0.4,
        timeout_seconds=timeout,
    )


async def _a_class(repo: Repository) -> tuple[str, list[str]]:
    """A session whose rooms start, go live, say a line each, end: 8 room.status + 2 transcript lines +
    session.ended."""
    session, _ = await repo.sessions.create(sample_session(rooms=2))
    rooms = [room.id for room in session.rooms]
    for room_id in rooms:
        await repo.sessions.set_room_status(room_id, RoomStatus.starting)  # a bot first: the table
        await repo.sessions.set_room_status(room_id, RoomStatus.live)
        await repo.transcripts.add(room_id, speaker="Grace Hopper", role=TranscriptRole.student, text="why recurse?")
    await repo.sessions.begin_ending(session.id, "ended by the professor")
    await repo.sessions.end_open_rooms(session.id, reason="session_ended")
    return session.id, rooms


async def test_the_outbox_is_written_with_the_change_and_rolled_back_with_it(repo: Repository) -> None:
    session_id, _ = await _a_class(repo)
    rows = await inspection.rows(
        repo, "SELECT m.type, e.kind FROM webhook_messages m JOIN events e ON e.id = m.event_id ORDER BY m.id"
    )
    kinds = [(r["type"], r["kind"]) for r in rows]
    assert kinds.count(("room.status", "room.status")) == 8
    assert kinds.count(("transcript.line", "transcript")) == 2
    assert kinds[-1] == ("session.ended", "session.ended")
    with pytest.raises(RuntimeError):
        async with inspection.transaction(repo) as tx:
            await tx.append_event("room.status", session_id=session_id, detail={"status": "live"})
            raise RuntimeError("rolled back")
    assert await inspection.scalar(repo, "SELECT COUNT(*) FROM webhook_messages") == len(rows)


async def test_every_delivery_is_signed_in_order_and_arrives_once(repo: Repository) -> None:
    secret = new_secret()
    receiver = WebhookReceiver(secret)
    async with serve_app(receiver.app()) as server:
        webhooks = sender(repo, [f"{server.base_url}/hook"], secret)
        await webhooks.start()
        try:
            session_id, rooms = await _a_class(repo)
            await receiver.wait_for(lambda: len(receiver.accepted) == 11)
        finally:
            await webhooks.stop()
    assert receiver.bad_signatures == 0
    assert len(set(receiver.ids())) == 11 and receiver.attempts == receiver.ids()
    assert [d.type for d in receiver.accepted][-1] == "session.ended"
    statuses = [(d["room_id"], d["status"]) for d in receiver.of_type("room.status")]
    expected = [(room, status) for status in ("queued",) for room in rooms]
    expected += [(room, status) for room in rooms for status in ("starting", "live")]
    expected += [(room, status) for status in ("ended",) for room in rooms]
    assert statuses == expected
    line = receiver.of_type("transcript.line")[0]
    assert line["speaker"] == "Grace Hopper" and line["role"] == "student" and line["text"] == "why recurse?"
    assert line["room"] == "Room 1" and isinstance(line["line_id"], int)
    ended = receiver.of_type("session.ended")[0]
    assert ended["session_id"] == session_id and [r["status"] for r in ended["rooms"]] == ["ended", "ended"]


async def test_a_failing_receiver_is_retried_with_the_same_id_then_given_up_with_an_event(
    repo: Repository, tmp_path: Path
) -> None:
    """Three tries of one message, then the test moves the sender's clock past its retry budget: given up at the
    next failure. (With a real 1 s budget, a loaded machine's fresh-clone run had its first try come so late
    that the budget was spent with it: given up after one try.)"""
    secret = new_secret()
    receiver = WebhookReceiver(secret, mode="fail")
    budget = 60.0
    moved_on = [0.0]
    async with serve_app(receiver.app()) as server:
        url = f"{server.base_url}/hook?token=receiver-secret"
        settings = load_settings(
            data_dir=tmp_path / "var",
            webhook_urls=url,
            webhook_secret=secret,
            webhook_retry_budget_seconds=budget,
            webhook_first_retry_seconds=0.05,
            webhook_max_retry_seconds=0.4,
        )
        webhooks = WebhookSender.from_settings(repo, settings, clock=lambda: time.time() + moved_on[0])
        await webhooks.start()
        try:
            session, _ = await repo.sessions.create(sample_session(rooms=1))
            await until(lambda: len(receiver.attempts) >= 3, 20, "three tries of the first message")
            assert await _events(repo, "webhook.given_up") == [], "given up within its budget"
            moved_on[0] = budget  # its budget, counted from when the change happened, is spent
            given_up = await _wait_for_events(repo, "webhook.given_up", 1)
            first = given_up[0]
            # The receiver is back: the next message goes through (the queue was not stuck).
            receiver.mode = "ok"
            await repo.sessions.set_room_status(session.rooms[0].id, RoomStatus.starting)  # a bot first: the table
            await repo.sessions.set_room_status(session.rooms[0].id, RoomStatus.live)
            await receiver.wait_for(lambda: any(d["status"] == "live" for d in receiver.of_type("room.status")))
        finally:
            await webhooks.stop()
    retried = [i for i in receiver.attempts if i == first.detail["webhook_id"]]
    assert len(retried) >= 3, receiver.attempts  # first try and retries, all with one webhook-id
    assert first.detail["attempts"] == len(retried)
    assert first.detail["url"] == shown_url(url) and "receiver-secret" not in json.dumps(first.detail)
    assert "503" in first.detail["error"] and first.room_id == session.rooms[0].id
    assert receiver.of_type("room.status")[-1]["status"] == "live"


async def test_a_hanging_receiver_holds_up_only_its_own_queue(repo: Repository) -> None:
    secret = new_secret()
    stuck = WebhookReceiver(secret, mode="hang")
    healthy = WebhookReceiver(secret)
    async with serve_app(stuck.app()) as slow, serve_app(healthy.app()) as fast:
        webhooks = sender(repo, [f"{slow.base_url}/hook", f"{fast.base_url}/hook"], secret, timeout=30.0)
        await webhooks.start()
        try:
            await _a_class(repo)
            await healthy.wait_for(lambda: len(healthy.accepted) == 11)
            assert stuck.attempts and not stuck.accepted  # still waiting on its first message
        finally:
            await webhooks.stop()
            stuck.release.set()


async def _events(repo: Repository, kind: str) -> list[Event]:
    return [e for e in await repo.events.all(limit=10_000) if e.kind == kind]


async def _wait_for_events(repo: Repository, kind: str, count: int, within: float = 20.0) -> list[Event]:
    async def found() -> list[Event]:
        events = await _events(repo, kind)
        return events if len(events) >= count else []

    return await until(found, within, f"{count} {kind} event(s)", every=0.05)


async def test_old_messages_every_receiver_is_done_with_are_pruned(repo: Repository) -> None:
    outbox = repo.webhook_outbox
    await outbox.open_cursor("http://a.example/hook")
    await outbox.open_cursor("http://b.example/hook")
    await repo.sessions.create(sample_session(rooms=2))  # two messages
    _, first = await outbox.next_for("http://a.example/hook")
    assert first is not None
    await outbox.delivered("http://a.example/hook", first)
    urls = ["http://a.example/hook", "http://b.example/hook"]
    later = first.created_at + 10
    assert await outbox.prune(urls, older_than=later) == 0  # b has not had it yet
    await outbox.delivered("http://b.example/hook", first)
    assert await outbox.prune(urls, older_than=first.created_at) == 0  # not old enough
    assert await outbox.prune(urls, older_than=later) == 1
    assert await outbox.prune([*urls, "http://new.example/hook"], older_than=later) == 0
