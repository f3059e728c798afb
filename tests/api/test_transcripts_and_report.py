"""The conversation record over REST: a room's transcript as JSON, JSON Lines, Markdown and WebVTT (read back
with webvtt-py), each line under the speaker who said it; and the session report with its totals."""

from __future__ import annotations

import io
import itertools
import json

import webvtt

from state.models import AvatarSessionStatus, RoomStatus, TranscriptRole
from tests.api.conftest import Api


async def _class(api: Api) -> tuple[str, str, str]:
    """Room 1 (assigned to "Student 1") is live; two other students speak; the avatar answers; it costs 4
    credits. Room 2 fails. The session ends."""
    session = await api.create_session(rooms=2)
    one, two = (room["id"] for room in session["rooms"])
    repo = api.repository
    await api.make_live(one)
    await repo.talk_time.record(one, "student.speaking", {"speaking": True})
    await repo.transcripts.add(one, speaker="Grace Hopper", role=TranscriptRole.student, text="What is a <base> case?")
    await repo.talk_time.record(one, "student.speaking", {"speaking": False})
    await repo.transcripts.add(
        one, speaker="Prof. Ada Lovelace (AI)", role=TranscriptRole.avatar, text="What would stop it, Grace?"
    )
    await repo.transcripts.add(one, speaker="Alan Turing", role=TranscriptRole.student, text="how does it stop")
    avatar = await repo.avatars.open(one, bot_id=None)
    await repo.avatars.started(avatar.id, vendor_session_id="vendor-1")
    await repo.avatars.close(avatar.id, status=AvatarSessionStatus.stopped, end_reason="left", minutes=2.0, credits=4.0)
    await repo.sessions.set_room_status(
        two, RoomStatus.failed, reason="bad_passcode", reason_text="The meeting passcode is wrong."
    )
    assert (await api.client.delete(f"/api/sessions/{session['id']}")).status_code == 202
    return session["id"], one, two


async def test_the_transcript_as_json_and_json_lines(api: Api) -> None:
    session_id, one, _ = await _class(api)
    response = await api.client.get(f"/api/sessions/{session_id}/rooms/{one}/transcript")
    assert response.status_code == 200
    body = response.json()
    assert body["room"] == "Room 1"
    assert [(line["speaker"], line["role"]) for line in body["lines"]] == [
        ("Grace Hopper", "student"),
        ("Prof. Ada Lovelace (AI)", "avatar"),
        ("Alan Turing", "student"),
    ]
    assert all(set(line) == {"time", "speaker", "role", "text", "source"} for line in body["lines"])
    assert "Student 1" not in response.text  # never the room's assigned student

    lines = await api.client.get(
        f"/api/sessions/{session_id}/rooms/{one}/transcript", headers={"Accept": "application/x-ndjson"}
    )
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(row)["text"] for row in lines.text.splitlines()] == [line["text"] for line in body["lines"]]


async def test_the_markdown_download(api: Api) -> None:
    session_id, one, two = await _class(api)
    response = await api.client.get(f"/api/sessions/{session_id}/rooms/{one}/transcript.md")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert f'filename="transcript-room-1-{session_id}.md"' in response.headers["content-disposition"]
    text = response.text
    assert text.startswith("# Transcript: Room 1\n")
    assert "Grace Hopper** (student): What is a \\<base\\> case?" in text
    assert "Prof. Ada Lovelace \\(AI\\)** (avatar): What would stop it, Grace?" in text
    empty = await api.client.get(f"/api/sessions/{session_id}/rooms/{two}/transcript.md")
    assert "_Nothing was said in this room._" in empty.text


async def test_the_webvtt_download_is_valid_webvtt(api: Api) -> None:
    session_id, one, _ = await _class(api)
    response = await api.client.get(f"/api/sessions/{session_id}/rooms/{one}/transcript.vtt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/vtt")
    assert f'filename="transcript-room-1-{session_id}.vtt"' in response.headers["content-disposition"]
    captions = webvtt.from_buffer(io.StringIO(response.text)).captions
    assert [c.voice for c in captions] == ["Grace Hopper", "Prof. Ada Lovelace (AI)", "Alan Turing"]
    assert captions[0].text == "What is a &lt;base&gt; case?"
    assert captions[0].start == "00:00:00.000"
    # Cue times are zero-padded HH:MM:SS.mmm, so they compare as text.
    for earlier, later in itertools.pairwise(captions):
        assert earlier.start <= later.start
        assert earlier.end <= later.start or earlier.start == later.start
    assert all(c.end > c.start for c in captions)


async def test_the_session_report(api: Api) -> None:
    session_id, one, _ = await _class(api)
    response = await api.client.get(f"/api/sessions/{session_id}/report")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["final"] is True and report["status"] == "ended"
    first, second = report["rooms"]
    assert first["name"] == "Room 1" and first["students"] == ["Grace Hopper", "Alan Turing"]
    assert first["student_questions"] == 2 and first["student_lines"] == 2 and first["avatar_lines"] == 1
    assert first["student_talk"]["measured"] is True
    assert first["avatar_talk"]["measured"] is False and first["avatar_talk"]["seconds"] > 0
    assert first["credits"] == 4.0 and first["minutes"] == 2.0
    assert first["duration_seconds"] >= 0 and first["first_live_at"] is not None
    assert first["downloads"]["webvtt"] == f"/api/sessions/{session_id}/rooms/{one}/transcript.vtt"
    assert second["failures"] == 1
    assert second["incidents"][0]["words"] == "The room failed: The meeting passcode is wrong."
    totals = report["totals"]
    assert totals["rooms"] == 2 and totals["student_questions"] == 2 and totals["credits"] == 4.0
    assert totals["failures"] == 1 and totals["restarts"] == 0


async def test_unknown_ids_and_missing_token(api: Api) -> None:
    session = await api.create_session(rooms=1)
    room_id = session["rooms"][0]["id"]
    for path in (
        f"/api/sessions/{session['id']}/rooms/room_nope/transcript",
        f"/api/sessions/{session['id']}/rooms/room_nope/transcript.vtt",
        f"/api/sessions/ses_nope/rooms/{room_id}/transcript.md",
        "/api/sessions/ses_nope/report",
    ):
        response = await api.client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"
    for path in (
        f"/api/sessions/{session['id']}/report",
        f"/api/sessions/{session['id']}/rooms/{room_id}/transcript.md",
    ):
        assert (await api.anonymous.get(path)).status_code == 401
