"""A meeting avatarfarm creates is not open to whoever guesses its number: it gets a random passcode, kept
(encrypted at rest with the session) for the bots to join with."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.secrets_at_rest import open_repository, open_secret_box
from farm.vendors.zoom_client import ZoomClient
from state.professors_repository import ADMIN_ID
from state.repository import Repository
from tests.api.conftest import make_settings


@pytest.fixture
async def repository(tmp_path: Path) -> AsyncIterator[Repository]:
    settings = make_settings(tmp_path)
    repository = await open_repository(settings, open_secret_box(settings))
    await repository.zoom_grants.save(
        professor_id=ADMIN_ID,
        user_id="u1",
        email=None,
        refresh_token="rt",
        access_token="at",
        access_expires_at=time.time() + 3600,
    )
    yield repository
    await repository.close()


async def test_a_created_meeting_gets_a_random_passcode(repository: Repository) -> None:
    sent: list[dict[str, object]] = []

    def zoom(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append(body)
        return httpx.Response(201, json={"id": 85746065432 + len(sent), "password": body.get("password", "")})

    client = ZoomClient(
        repository.zoom_grants,
        api_base="http://zoom.test",
        oauth_base="http://zoom.test",
        client_id="c",
        client_secret="s",
        redirect_uri="http://af.test/api/zoom/callback",
        transport=httpx.MockTransport(zoom),
    )
    try:
        first = await client.create_meeting(ADMIN_ID, topic="CS 101", rooms=["A"])
        second = await client.create_meeting(ADMIN_ID, topic="CS 101", rooms=["A"])
    finally:
        await client.aclose()
    passcodes = [str(body["password"]) for body in sent]
    assert all(len(p) == 10 and p.isalnum() and not p.isdigit() and not p.isalpha() for p in passcodes)
    assert passcodes[0] != passcodes[1]
    assert [first.passcode, second.passcode] == passcodes
