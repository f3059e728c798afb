"""LiveAvatar's REST as documented: success by HTTP status and data (code 100 or 1000), a 2xx with another code is
a refusal, 429 waits for its Retry-After, token calls are paced per key and endpoint under the limit the fake
enforces, and the token request can name a voice agent instead of the persona."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from fakes.liveavatar import FakeLiveAvatarConfig, create_app
from fakes.liveavatar.avatars import WAYNE_ID
from fakes.liveavatar.service import LiveAvatarService
from fakes.liveavatar.voice_agents import VOICE_AGENTS
from farm.settings import SettingsError, load_settings
from farm.vendors.liveavatar_client import LiveAvatarClient, LiveAvatarRefusal, in_words
from farm.vendors.request_pacing import endpoint_of
from farm.vendors.vendor_http import VendorError, retry_after
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.servers import serve_app

KEY = "pacing-test-key"
TOKEN = "/v1/sessions/token"


def scripted(answers: list[httpx.Response], seen: list[float]) -> LiveAvatarClient:
    """A client whose requests are answered from `answers` (then the last one again); `seen` gets their times."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(time.monotonic())
        return answers.pop(0) if len(answers) > 1 else answers[0]

    client = LiveAvatarClient("http://la.test", KEY, max_wait=0.5)
    client._client = httpx.AsyncClient(base_url="http://la.test", transport=httpx.MockTransport(answer))
    return client


def envelope(code: Any, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "data": data, "message": "success"}, headers=headers)


MINTED = {"session_id": "s1", "session_token": "t1"}


@pytest.mark.parametrize("code", [100, 1000])
async def test_a_2xx_with_either_documented_success_code_is_a_success(code: int) -> None:
    seen: list[float] = []
    client = scripted([envelope(code, MINTED), envelope(code, {"results": [], "next": None})], seen)
    try:
        token = await client.session_token(avatar_id=WAYNE_ID, context_id=None)
        assert token.session_id == "s1"
        assert await client.voices() == []  # an empty list: fine with either code
    finally:
        await client.aclose()


async def test_a_list_answered_without_its_list_is_an_error_not_an_empty_account() -> None:
    """A 2xx whose data has no `results` says nothing of the account's avatars: taken as an empty list, every
    session would be refused for an unknown avatar (seen with a stub that answers everything 200 {"status": "ok"})."""
    client = scripted([httpx.Response(200, json={"status": "ok"})], [])
    try:
        with pytest.raises(VendorError, match="without the list asked for"):
            await client.avatars(attempts=1)
        with pytest.raises(VendorError, match="without the list asked for"):
            await client.active_sessions()
    finally:
        await client.aclose()


async def test_a_2xx_with_a_business_code_is_a_refusal_in_words_and_not_retried() -> None:
    seen: list[float] = []
    client = scripted([envelope(4020, None)], seen)
    try:
        with pytest.raises(LiveAvatarRefusal) as refused:
            await client.stop_session("s1")
        assert refused.value.kind == "no_credits" and "credits" in refused.value.words
        assert len(seen) == 1
    finally:
        await client.aclose()


async def test_a_success_without_the_session_is_an_error_that_says_so_and_is_not_sent_again() -> None:
    seen: list[float] = []
    client = scripted([envelope(1000, {"session_id": "s1"})], seen)
    try:
        with pytest.raises(VendorError) as failed:
            await client.session_token(avatar_id=WAYNE_ID, context_id=None)
        assert "without a session id and token" in failed.value.message
        assert "without what avatarfarm asked for" in in_words(failed.value)
        assert not failed.value.retryable  # the farm must not mint again: LiveAvatar may bill this one
        assert len(seen) == 1
    finally:
        await client.aclose()


async def test_a_429_is_sent_again_only_after_its_retry_after() -> None:
    seen: list[float] = []
    client = scripted([envelope(429, None, 429, {"Retry-After": "1"}), envelope(1000, MINTED)], seen)
    try:
        assert (await client.session_token(avatar_id=WAYNE_ID, context_id=None)).token == "t1"
        assert len(seen) == 2
        assert seen[1] - seen[0] >= 1.0  # never sooner than asked (the backoff alone waits at most 0.25 s)
    finally:
        await client.aclose()


async def test_a_429_asking_for_too_long_a_wait_is_given_up_with_the_wait_named() -> None:
    seen: list[float] = []
    client = scripted([envelope(429, None, 429, {"Retry-After": "120"})], seen)
    try:
        with pytest.raises(VendorError) as failed:
            await client.active_sessions()
        assert failed.value.status == 429 and failed.value.retry_after == 120.0
        assert "asked to wait 120 s" in in_words(failed.value)
        assert len(seen) == 1
    finally:
        await client.aclose()


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "3"})) == 3.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    assert 15 < (retry_after(httpx.Response(429, headers={"Retry-After": later})) or 0) <= 20
    assert retry_after(httpx.Response(429)) is None
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None


def test_endpoints_are_counted_without_their_path_parameters() -> None:
    assert endpoint_of("post", "/v1/sessions/token") == "POST /v1/sessions/token"
    assert endpoint_of("GET", "/v1/sessions/3f2a") == "GET /v1/sessions/{id}"
    assert endpoint_of("GET", "/v1/sessions/3f2a/transcript") == "GET /v1/sessions/{id}/transcript"
    assert endpoint_of("PATCH", "/v1/contexts/abc") == "PATCH /v1/contexts/{id}"
    assert endpoint_of("GET", "/v1/avatars/public") == "GET /v1/avatars/public"


# ---- against the fake ------------------------------------------------------------------------------------------


@pytest.fixture
async def fake_liveavatar() -> AsyncIterator[tuple[str, LiveAvatarService]]:
    app = create_app(FakeLiveAvatarConfig(api_key=KEY, rate_limit_per_second=4))
    async with serve_app(app) as server:
        yield server.base_url, app.state.service


def statuses(service: LiveAvatarService, path: str) -> list[int | None]:
    return [call.status for call in service.faults.calls if call.path == path]


async def mint_all(clients: list[LiveAvatarClient], each: int) -> list[Any]:
    calls = [client.session_token(avatar_id=WAYNE_ID, context_id=None) for client in clients for _ in range(each)]
    return await asyncio.gather(*calls, return_exceptions=True)


async def test_the_fake_refuses_calls_over_its_limit_with_429_and_retry_after(
    fake_liveavatar: tuple[str, LiveAvatarService],
) -> None:
    base_url, _service = fake_liveavatar
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT, base_url=base_url, headers={"X-API-KEY": KEY}) as http:
        body = {"avatar_id": WAYNE_ID, "avatar_persona": {}}
        answers = await asyncio.gather(*(http.post(TOKEN, json=body) for _ in range(16)))
        voices = await http.get("/v1/voices")  # another endpoint has its own budget
    refused = [answer for answer in answers if answer.status_code == 429]
    assert refused, [answer.status_code for answer in answers]
    assert all(int(answer.headers["retry-after"]) >= 1 for answer in refused)
    assert refused[0].json()["code"] == 429 and refused[0].headers["x-ratelimit-limit"] == "4"
    assert voices.status_code == 200
    # Every answer of a limited endpoint says where the caller stands.
    assert voices.headers["x-ratelimit-limit"] == "4" and voices.headers["x-ratelimit-remaining"] == "3"
    assert 0 < float(voices.headers["x-ratelimit-reset"]) <= 1


async def test_unpaced_token_calls_from_many_rooms_hit_the_limit(
    fake_liveavatar: tuple[str, LiveAvatarService],
) -> None:
    base_url, _service = fake_liveavatar
    client = LiveAvatarClient(base_url, KEY, attempts=1)
    try:
        results = await mint_all([client], 16)
    finally:
        await client.aclose()
    assert any(isinstance(result, VendorError) and result.status == 429 for result in results)


async def test_paced_token_calls_from_many_rooms_and_clients_stay_under_the_limit(
    fake_liveavatar: tuple[str, LiveAvatarService],
) -> None:
    base_url, service = fake_liveavatar
    # Half the vendor's limit, as README advises: a second of network jitter cannot push two paced seconds'
    # calls into one of the vendor's windows. Two clients of one key share one pace.
    clients = [LiveAvatarClient(base_url, KEY, attempts=1, calls_per_second=2) for _ in range(2)]
    try:
        results = await mint_all(clients, 4)
    finally:
        for client in clients:
            await client.aclose()
    assert not [result for result in results if isinstance(result, BaseException)], results
    assert statuses(service, TOKEN) == [200] * 8


async def test_the_token_names_a_voice_agent_when_set_and_the_persona_by_default(
    fake_liveavatar: tuple[str, LiveAvatarService],
) -> None:
    base_url, service = fake_liveavatar
    agent = VOICE_AGENTS[0]
    default = LiveAvatarClient(base_url, KEY, attempts=1)
    by_agent = LiveAvatarClient(base_url, KEY, attempts=1, voice_agent_id=agent.id)
    unknown = LiveAvatarClient(base_url, KEY, attempts=1, voice_agent_id="00000000-0000-4000-8000-000000000000")
    try:
        persona = await default.session_token(avatar_id=WAYNE_ID, context_id=None)
        agented = await by_agent.session_token(avatar_id=WAYNE_ID, context_id=None)
        with pytest.raises(LiveAvatarRefusal) as refused:
            await unknown.session_token(avatar_id=WAYNE_ID, context_id=None)
    finally:
        for client in (default, by_agent, unknown):
            await client.aclose()
    sent = {session.id: session.start_session_data for session in service.registry.all()}
    assert "avatar_persona" in sent[persona.session_id] and "voice_agent" not in sent[persona.session_id]
    assert sent[agented.session_id]["voice_agent"]["id"] == agent.id
    assert "avatar_persona" not in sent[agented.session_id]
    assert service.registry.get(agented.session_id).voice.id == agent.voice_id  # type: ignore[union-attr]
    assert refused.value.kind == "voice_agent_not_found"
    assert "AVATARFARM_LIVEAVATAR_VOICE_AGENT_ID" in refused.value.words


def test_the_voice_agent_shape_needs_its_id() -> None:
    with pytest.raises(SettingsError, match="LIVEAVATAR_VOICE_AGENT_ID is required"):
        load_settings(liveavatar_token_shape="voice_agent")
    settings = load_settings(liveavatar_token_shape="voice_agent", liveavatar_voice_agent_id=VOICE_AGENTS[0].id)
    assert LiveAvatarClient.for_settings(settings)._voice_agent_id == VOICE_AGENTS[0].id
    assert load_settings().liveavatar_token_shape == "avatar_persona"
