"""What one client is told about its meeting: the `state` snapshot behind the SDK's getters and events.

The stand-in answers getCurrentUser(), getAttendeeslist(), the breakout getters and its media mesh from the
latest snapshot, and derives user-added/updated/removed by comparing snapshots (hints carry the reasons).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakes.zoom.participants import Participant

if TYPE_CHECKING:
    from fakes.zoom.meetings import Hints, Meeting


def state_for(meeting: Meeting, p: Participant, hints: Hints | None = None) -> dict[str, Any]:
    room_key = meeting.media_room(p)
    peers = [
        {"userId": q.user_id, "userName": q.name}
        for q in meeting.participants.values()
        if q is not p and not q.virtual and room_key is not None and meeting.media_room(q) == room_key
    ]
    return {
        "op": "state",
        "self": p.sdk_view(),
        "participants": [q.sdk_view() for q in _visible_to(meeting, p)],
        "meeting": info_view(meeting),
        "recording": meeting.recording,
        "breakout": _breakout_view(meeting, p),
        # The browsers p exchanges media with: everyone else with a client in the same room.
        "media": {"room": room_key, "peers": peers, "audioPlayback": meeting.settings.audio_playback},
        # Meeting settings the client applies itself (see MeetingSettings).
        "quirks": {
            "muteOnEntry": meeting.settings.mute_on_entry,
            "computerAudioFails": meeting.settings.computer_audio_fails,
            "breakoutGettersGapMs": meeting.settings.breakout_getters_gap_ms,
            "webinar": meeting.settings.webinar,
        },
        # bot userId -> userId of the participant who authorized it (getBotAuthorizedUserInfoByUserId).
        "botAuthorizers": _bot_authorizers(meeting),
        "hints": {kind: {str(k): v for k, v in values.items()} for kind, values in (hints or {}).items()},
    }


def info_view(meeting: Meeting) -> dict[str, Any]:
    """The parts of getCurrentMeetingInfo() that come from the service."""
    return {
        "meetingNumber": int(meeting.number),
        "password": meeting.settings.passcode,
        "telPwd": "",
        "meetingTopic": meeting.settings.topic,
        "meetingId": meeting.uuid,
    }


def _visible_to(meeting: Meeting, p: Participant) -> list[Participant]:
    """Who p's attendee list shows: its own session (main or room); hosts also see the waiting room."""
    if p.on_hold:
        return [p]
    return [
        q
        for q in meeting.participants.values()
        if q is p or (q.on_hold and p.is_manager) or (not q.on_hold and q.room_id == p.room_id)
    ]


def _bot_authorizers(meeting: Meeting) -> dict[str, int]:
    relations = {}
    for bot in meeting.participants.values():
        if bot.authorized_by is None:
            continue
        owner = next((q for q in meeting.participants.values() if q.zoom_user_id == bot.authorized_by), None)
        if owner is not None:
            relations[str(bot.user_id)] = owner.user_id
    return relations


def _breakout_view(meeting: Meeting, p: Participant) -> dict[str, Any]:
    bo = meeting.breakout
    # As in the bundle: attendee lists only for hosts, co-hosts, and when participants choose their room.
    show_attendees = p.is_manager or bo.options.isRoomSelectionEnabled
    rooms = []
    for room in bo.rooms:
        attendees = []
        if show_attendees:
            for q in meeting.participants.values():
                if q.is_host or q.on_hold:
                    continue
                if q.room_id == room.room_id or (q.room_id is None and bo.assigned.get(q.user_id) == room.room_id):
                    attendees.append(
                        {
                            "userId": q.user_id,
                            "displayName": q.name,
                            "avatar": "",
                            "isInRoom": q.room_id == room.room_id,
                            "userGuid": q.guid,
                        }
                    )
        rooms.append({"roomId": room.room_id, "name": room.name, "attendeeList": attendees})
    current = bo.by_id(p.room_id) or (bo.by_id(bo.assigned.get(p.user_id)) if bo.is_open else None)
    status = meeting.user_status(p)
    return {
        "status": int(bo.status),
        "options": bo.options.sdk_view(),
        "rooms": rooms,
        "current": {
            "attendeeStatus": status,
            "name": current.name if current else "",
            "roomId": current.room_id if current else "",
        },
        "userStatus": status,
    }
