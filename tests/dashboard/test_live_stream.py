"""Live updates survive the event stream dropping: EventSource comes back with Last-Event-ID, and when the
browser gives up (the server refused it) the page reopens the stream with ?since=<last id>; either way the
events that happened while the stream was down reach the page, in order, without a reload."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Page, expect

from state.models import RoomStatus, TranscriptRole
from tests.dashboard.conftest import DashboardServer
from tests.dashboard.pages import TIMEOUT_MS, Dashboard
from tests.support.polling import until

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def wait_for(predicate: Callable[[], bool], what: str) -> None:
    await until(predicate, TIMEOUT_MS / 1000, what, every=0.05)


async def session_event_ids(server: DashboardServer, session_id: str) -> list[int]:
    return [event.id for event in await server.repository.events.all(after_id=0, session_id=session_id, limit=10_000)]


async def test_updates_survive_dropped_and_refused_streams(
    signed_in: Dashboard, server: DashboardServer, page: Page
) -> None:
    session = await server.create_session([("Room 1", "Grace")])
    room_id = session["rooms"][0]["id"]
    farm, cutter = server.farm, server.cutter
    monitor = await signed_in.open_session(session["id"])
    await monitor.expect_live_updates()
    room = monitor.room("Room 1")
    await room.expand()
    await farm.join(room_id, until=RoomStatus.waiting_room)
    await room.expect_timeline_entry("In the waiting room")
    first_ids = await session_event_ids(server, session["id"])
    await wait_for(lambda: first_ids[-1] in cutter.delivered(), "the stream to deliver the waiting room")
    requests_before = len(cutter.requests)

    # 1. The stream drops and the next attempt is refused: EventSource gives up, the page reopens with since=.
    cutter.refuse_next(1)
    assert cutter.cut() == 1
    await expect(monitor.connection).to_have_attribute("data-state", "reconnecting", timeout=TIMEOUT_MS)
    await farm.join_rest(room_id)
    await farm.transcript(room_id, "Grace", TranscriptRole.student, "Said while the stream was down.")
    await monitor.expect_live_updates()
    await room.expect_state("live", "green")
    await room.expect_transcript_line("Said while the stream was down.")
    retry, reopen = cutter.requests[requests_before : requests_before + 2]
    assert retry.refused and retry.last_event_id == str(first_ids[-1])
    assert not reopen.refused and reopen.since == str(first_ids[-1])

    # 2. The stream drops again; EventSource reconnects by itself with Last-Event-ID.
    second_ids = await session_event_ids(server, session["id"])
    await wait_for(lambda: second_ids[-1] in cutter.delivered(), "the stream to deliver the transcript")
    requests_before = len(cutter.requests)
    assert cutter.cut() == 1
    await farm.transcript(room_id, "Prof. Ada Lovelace", TranscriptRole.avatar, "And after the second drop?")
    await farm.crash(room_id)
    await room.expect_state("failed", "red")
    await room.expect_transcript_line("And after the second drop?")
    await monitor.expect_live_updates()
    resumed = cutter.requests[requests_before]
    assert resumed.last_event_id == str(second_ids[-1]) and not resumed.refused

    # Every event of the session after the page connected reached it over the stream, once, in order.
    all_ids = await session_event_ids(server, session["id"])
    await wait_for(lambda: all_ids[-1] in cutter.delivered(), "the stream to deliver the crash")
    delivered = cutter.delivered()
    expected = [event_id for event_id in all_ids if event_id >= delivered[0]]
    assert delivered == expected
    await expect(page.locator("#page-problem")).to_be_hidden()
