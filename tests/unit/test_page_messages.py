"""The page's reports are typed on the farm's side: what a bot page sends parses, anything else is refused with
where and why (the farm records it and trusts nothing in it)."""

from __future__ import annotations

import pytest

from farm.room.page_messages import (
    AvatarReleased,
    AvatarWanted,
    BadReport,
    EventReport,
    Heartbeat,
    MediaStats,
    StateReport,
    TranscriptDetail,
    VideoStats,
    parse_report,
)
from state.vocabulary import AvatarRelease, AvatarWant, EventKind, RoomStatus


def test_the_three_report_types_parse() -> None:
    state = parse_report({"type": "state", "state": "in_room", "detail": {"room": "Room 3"}, "at": 1.0})
    assert isinstance(state, StateReport) and state.state is RoomStatus.in_room and state.room == "Room 3"
    event = parse_report({"type": "event", "kind": "avatar.wanted", "detail": {"why": "speech", "humans": ["Grace"]}})
    assert isinstance(event, EventReport) and event.kind is EventKind.avatar_wanted
    assert AvatarWanted.model_validate(event.detail).why is AvatarWant.speech
    beat = parse_report({"type": "heartbeat", "state": "live", "stats": {"humans_in_room": 2, "mic_open": True}})
    assert isinstance(beat, Heartbeat) and beat.stats.humans_in_room == 2 and beat.stats.mic_open is True
    assert AvatarReleased.model_validate({"why": "rooms_closing"}).why is AvatarRelease.rooms_closing


@pytest.mark.parametrize(
    ("message", "where"),
    [
        ({"type": "state", "state": "dancing"}, "state"),
        ({"type": "state", "state": "queued"}, "state"),  # only the farm puts a room in the queue
        ({"type": "event", "kind": "avatar.bribe", "detail": {}}, "kind"),
        ({"type": "gossip"}, ""),
        ({"type": "heartbeat", "stats": "not an object"}, "stats"),
    ],
)
def test_anything_else_is_refused_with_where(message: dict[str, object], where: str) -> None:
    with pytest.raises(BadReport) as refused:
        parse_report(message)
    assert where in str(refused.value)


def test_event_details_have_limits() -> None:
    with pytest.raises(ValueError):
        TranscriptDetail.model_validate({"role": "student", "text": "x" * 5000})
    with pytest.raises(ValueError):
        AvatarWanted.model_validate({"why": "because", "humans": []})


def test_an_event_detail_is_read_once_as_it_arrives() -> None:
    event = parse_report({"type": "event", "kind": "avatar.wanted", "detail": {"why": "speech", "humans": ["Grace"]}})
    assert isinstance(event, EventReport)
    assert event.body(AvatarWanted).humans == ["Grace"]
    with pytest.raises(TypeError):
        event.body(TranscriptDetail)


@pytest.mark.parametrize(
    ("message", "where"),
    [
        ({"type": "event", "kind": "avatar.wanted", "detail": {"why": "because"}}, "avatar.wanted.why"),
        ({"type": "event", "kind": "transcript", "detail": {"role": "student", "text": "x" * 5000}}, "transcript.text"),
        ({"type": "event", "kind": "meeting.broadcast", "detail": {"message": ""}}, "meeting.broadcast.message"),
    ],
)
def test_an_unreadable_event_detail_is_refused_where_it_arrives(message: dict[str, object], where: str) -> None:
    with pytest.raises(BadReport) as refused:
        parse_report(message)
    assert where in str(refused.value)


def test_a_heartbeat_tolerates_what_a_page_omits_or_sends_as_null() -> None:
    beat = parse_report(
        {
            "type": "heartbeat",
            "stats": {"outbound_video": None, "compositor": {"fps": 12, "width": None}, "level_in": None, "extra": 1},
        }
    )
    assert isinstance(beat, Heartbeat)
    assert beat.stats.outbound_video is None and beat.stats.level_in == 0.0 and beat.stats.humans_in_room == 0
    assert beat.stats.sent_video == VideoStats(fps=12, width=0, height=0)
    empty = parse_report({"type": "heartbeat", "stats": None})
    assert isinstance(empty, Heartbeat) and empty.stats == MediaStats()
