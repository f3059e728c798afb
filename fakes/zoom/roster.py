"""How the host controls show a meeting: its settings, and the roster of who is where and what media each
participant receives (as its client reported during the last second)."""

from __future__ import annotations

import time
from typing import Any

from fakes.zoom.config import APP_ACCOUNT_ID
from fakes.zoom.meetings import Meeting


def meeting_view(meeting: Meeting) -> dict[str, Any]:
    settings = meeting.settings
    return {
        "number": meeting.number,
        "uuid": meeting.uuid,
        "topic": settings.topic,
        "passcode": settings.passcode,
        "account_id": meeting.account_id,
        "external_account": meeting.account_id != APP_ACCOUNT_ID,
        "host_user_id": meeting.host_user_id,
        "started": meeting.started,
        "waiting_room": settings.waiting_room,
        "join_before_host": settings.join_before_host,
        "block_bots": settings.block_bots,
        "authenticated_only": settings.authenticated_only,
        "force_join_error": settings.force_join_error,
        "audio_playback": settings.audio_playback,
        "recording": meeting.recording,
        "host_emails": [dict(email) for email in meeting.host_emails],
        "breakout": {
            "status": int(meeting.breakout.status),
            "options": meeting.breakout.options.sdk_view(),
            "rooms": [{"id": r.room_id, "name": r.name} for r in meeting.breakout.rooms],
        },
        "participant_count": len(meeting.participants),
    }


def roster_view(meeting: Meeting) -> dict[str, Any]:
    now = time.time()
    names = {p.user_id: p.name for p in meeting.participants.values()}
    people = []
    for p in meeting.participants.values():
        room = meeting.breakout.by_id(p.room_id)
        assigned = meeting.breakout.by_id(meeting.breakout.assigned.get(p.user_id))
        report = p.media_report or {}
        receiving = []
        for entry in report.get("receiving") or []:
            if isinstance(entry, dict):
                receiving.append({**entry, "name": names.get(_int(entry.get("userId")), entry.get("name", ""))})
        people.append(
            {
                "user_id": p.user_id,
                "name": p.name,
                "email": p.email,
                "zoom_user_id": p.zoom_user_id,
                "is_host": p.is_host,
                "is_cohost": p.is_cohost,
                "virtual": p.virtual,
                "sdk_client": p.sdk_client,
                "bot_authorized_by": p.authorized_by,
                "location": "waiting_room" if p.on_hold else ("breakout" if room else "main"),
                "room": {"id": room.room_id, "name": room.name} if room else None,
                "assigned_room": {"id": assigned.room_id, "name": assigned.name} if assigned else None,
                "breakout_status": meeting.user_status(p),
                "audio": p.audio,
                "muted": p.muted,
                "video": p.video,
                "recording_consent": p.recording_consent,
                "media": {
                    "age_s": round(now - p.media_reported_at, 2) if p.media_reported_at else None,
                    "sending": report.get("sending"),
                    "receiving": receiving,
                },
            }
        )
    return {"meeting": meeting_view(meeting), "participants": people}


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return -1
