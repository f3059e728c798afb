"""Meeting passcodes at rest: encrypted like the Zoom tokens, readable by the farm, and a passcode an older
avatarfarm stored in plaintext is encrypted at the next start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from api.secrets_at_rest import open_repository, open_secret_box
from tests.api.conftest import Api, make_settings, session_body


def _stored(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        return [row[0] for row in conn.execute("SELECT meeting_passcode FROM sessions")]


async def test_a_meeting_passcode_is_stored_encrypted_and_read_back(api: Api) -> None:
    body = session_body(rooms=1, meeting={"number": "85746065432", "passcode": "x7Yq2"})
    created = await api.client.post("/api/sessions", json=body)
    assert created.status_code == 202
    [stored] = _stored(api.settings.database_path)
    assert stored.startswith("fernet:") and "x7Yq2" not in stored
    session = await api.repository.sessions.get(created.json()["id"])
    assert session is not None and session.meeting.passcode == "x7Yq2"
    assert created.json()["meeting"]["passcode_set"] is True and "x7Yq2" not in created.text


async def test_a_plaintext_passcode_is_encrypted_at_the_next_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    repository = await open_repository(settings, open_secret_box(settings))
    await repository.close()
    with sqlite3.connect(settings.database_path) as conn:  # what an older avatarfarm wrote
        conn.execute(
            """INSERT INTO sessions (id, status, meeting_number, meeting_passcode, meeting_topic, create_meeting,
                   professor, course, created_at, updated_at)
               VALUES ('ses_old', 'ended', '85746065432', 'plain9', NULL, 0, ?, ?, 0, 0)""",
            ('{"name": "P", "avatar_id": "a"}', '{"name": "C"}'),
        )
    repository = await open_repository(settings, open_secret_box(settings))
    try:
        [stored] = _stored(settings.database_path)
        assert stored.startswith("fernet:")
        session = await repository.sessions.get("ses_old")
        assert session is not None and session.meeting.passcode == "plain9"
    finally:
        await repository.close()
    assert b"plain9" not in settings.database_path.read_bytes()
