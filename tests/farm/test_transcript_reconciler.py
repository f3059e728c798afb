"""Transcript reconciliation against the fake LiveAvatar: after an avatar session ends, the lines the bot page
never reported are filled in from GET /v1/sessions/{id}/transcript, under the right speaker; lines already
stored are not added again; a second sweep adds nothing; a vendor outage is retried on the next sweep."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fakes.liveavatar import FakeLiveAvatarConfig
from fakes.liveavatar import create_app as create_liveavatar
from fakes.liveavatar.sessions import AvatarSession
from farm.conversation.transcript_reconciler import UNIDENTIFIED_STUDENT, TranscriptReconciler, missing_lines
from farm.vendors.liveavatar_client import LiveAvatarClient, VendorTranscriptLine
from state import inspection
from state.database import Database
from state.models import AvatarSessionStatus, TranscriptLine, TranscriptRole
from state.repository import Repository
from tests.state.conftest import sample_session
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.servers import serve_app

API_KEY = "reconciler-tests-key"
ADMIN = "reconciler-tests-admin"
WAYNE = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"


@dataclass
class Stack:
    repo: Repository
    client: LiveAvatarClient
    admin: httpx.AsyncClient
    vendor_session: AvatarSession
    room_id: str
    avatar_row: str


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    app = create_liveavatar(FakeLiveAvatarConfig(api_key=API_KEY, admin_token=ADMIN))
    db = await Database.open(tmp_path / "state.sqlite3")
    repo = Repository(db)
    async with serve_app(app) as server:
        client = LiveAvatarClient(server.base_url, API_KEY, attempts=1)
        admin = httpx.AsyncClient(
            timeout=CLIENT_TIMEOUT, base_url=server.base_url, headers={"Authorization": f"Bearer {ADMIN}"}
        )
        minted = await client.session_token(avatar_id=WAYNE, context_id=None, is_sandbox=True)
        vendor = app.state.service.registry.get(minted.session_id)
        session, _ = await repo.sessions.create(sample_session(rooms=1))
        room_id = session.rooms[0].id
        row = await repo.avatars.open(room_id, bot_id=None)
        await repo.avatars.started(row.id, vendor_session_id=minted.session_id)
        try:
            yield Stack(repo, client, admin, vendor, room_id, row.id)
        finally:
            await admin.aclose()
            await client.aclose()
    await db.close()


def vendor_says(stack: Stack, role: str, text: str, at: float) -> None:
    """What LiveAvatar heard or said, in its own transcript (the fake's session records it as its agent does)."""
    stack.vendor_session.add_transcript(role, text, time.monotonic(), at)


async def test_missing_lines_are_filled_in_once_and_stored_ones_are_kept(stack: Stack) -> None:
    repo = stack.repo
    now = time.time()
    # The page reported two lines (one under the speaking student's meeting name) and missed two.
    await repo.transcripts.add(
        stack.room_id, speaker="Grace Hopper", role=TranscriptRole.student, text="What is a base case?"
    )
    await repo.transcripts.add(
        stack.room_id, speaker="Ada Lovelace (AI)", role=TranscriptRole.avatar, text="What do you think, Grace?"
    )
    vendor_says(stack, "user", "what is a base case", now)
    vendor_says(stack, "avatar", "What do you think, Grace?", now + 1)
    vendor_says(stack, "user", "the case that stops", now + 2)
    vendor_says(stack, "avatar", "Exactly. And then?", now + 3)
    await repo.avatars.close(stack.avatar_row, status=AvatarSessionStatus.stopped, end_reason="left")

    reconciler = TranscriptReconciler(repo, stack.client, settle_seconds=0)
    assert await reconciler.sweep() == 2
    assert await reconciler.sweep() == 0

    lines = await repo.transcript_log.room(stack.room_id)
    assert [(line.speaker, line.text, line.source) for line in lines] == [
        ("Grace Hopper", "What is a base case?", "live"),
        ("Ada Lovelace (AI)", "What do you think, Grace?", "live"),
        (UNIDENTIFIED_STUDENT, "the case that stops", "vendor"),
        ("Ada Lovelace (AI)", "Exactly. And then?", "vendor"),
    ]
    events = [e for e in await repo.events.all(room_id=stack.room_id) if e.kind.startswith("transcript")]
    assert [e.kind for e in events][-3:] == ["transcript", "transcript", "transcript.reconciled"]
    assert events[-1].detail["added"] == 2 and events[-1].detail["vendor_lines"] == 4
    webhooks = await inspection.scalar(repo, "SELECT COUNT(*) FROM webhook_messages WHERE type = 'transcript.line'")
    assert webhooks == 4  # the filled-in lines are reported like the others


async def test_a_vendor_outage_is_retried_on_the_next_sweep(stack: Stack) -> None:
    vendor_says(stack, "avatar", "Welcome to the room.", time.time())
    await stack.repo.avatars.close(stack.avatar_row, status=AvatarSessionStatus.stopped, end_reason="left")
    path = f"/v1/sessions/{stack.vendor_session.id}/transcript"
    fault = await stack.admin.post("/admin/faults", json={"method": "GET", "path": path, "fault": "500", "times": 1})
    assert fault.status_code == 200, fault.text
    reconciler = TranscriptReconciler(stack.repo, stack.client, settle_seconds=0)
    assert await reconciler.sweep() == 0
    assert await stack.repo.transcript_log.room(stack.room_id) == []
    assert await reconciler.sweep() == 1
    assert [line.text for line in await stack.repo.transcript_log.room(stack.room_id)] == ["Welcome to the room."]


async def test_a_session_still_settling_waits(stack: Stack) -> None:
    vendor_says(stack, "avatar", "Welcome to the room.", time.time())
    await stack.repo.avatars.close(stack.avatar_row, status=AvatarSessionStatus.stopped, end_reason="left")
    assert await TranscriptReconciler(stack.repo, stack.client, settle_seconds=30).sweep() == 0


def _stored(role: TranscriptRole, text: str, at: float) -> TranscriptLine:
    return TranscriptLine(1, "room", "someone", role, text, at)


def test_matching_keeps_repeated_words_and_ignores_far_away_ones() -> None:
    stored = [_stored(TranscriptRole.student, "Yes.", 100.0)]
    vendor = [
        VendorTranscriptLine("user", "yes", 100.0),
        VendorTranscriptLine("user", "yes", 104.0),  # said twice, reported once
        VendorTranscriptLine("avatar", "yes", 100.0),  # the other side said it
        VendorTranscriptLine("user", "", 101.0),
    ]
    assert missing_lines(stored, vendor) == [vendor[1], vendor[2]]
    assert missing_lines(stored, [VendorTranscriptLine("user", "yes", 1000.0)]) != []
