"""Limits seen through the API: concurrency cap, idle timeout, max duration, sandbox, credits, end reasons."""

from __future__ import annotations

import asyncio
from typing import Any

from fakes.liveavatar.avatars import WAYNE_ID
from tests.fakes_liveavatar.client import Fake, ManualClock, wait_for


async def ended_with(fake: Fake, session_id: str, reason: str) -> bool:
    session = await fake.session(session_id)
    return session["status"] == "ENDED" and session["end_reason"] == reason


async def test_concurrency_cap(make_fake: Any) -> None:
    fake: Fake = await make_fake(max_concurrent_sessions=2)
    first, _second = await fake.started(), await fake.started()
    third = await fake.token()
    refused = await fake.bearer("POST", "/v1/sessions/start", third["session_token"])
    assert refused.status_code == 429 and refused.json()["code"] == 4029
    assert (await fake.session(third["session_id"]))["status"] == "CREATED"
    await fake.bearer("POST", "/v1/sessions/stop", first["session_token"])
    assert (await fake.bearer("POST", "/v1/sessions/start", third["session_token"])).status_code == 201


async def test_idle_timeout_on_the_real_clock_and_keep_alive_postpones_it(make_fake: Any) -> None:
    fake: Fake = await make_fake(idle_timeout_s=1.0)
    idle, kept = await fake.started(), await fake.started()
    # Keep `kept` alive every 0.25 s until `idle` has timed out (however slow the machine is).
    for _ in range(200):
        assert (await fake.bearer("POST", "/v1/sessions/keep-alive", kept["session_token"])).status_code == 200
        if await ended_with(fake, idle["session_id"], "IDLE_TIMEOUT"):
            break
        await asyncio.sleep(0.25)
    assert await ended_with(fake, idle["session_id"], "IDLE_TIMEOUT")
    assert (await fake.session(kept["session_id"]))["status"] == "ACTIVE"
    await wait_for(lambda: ended_with(fake, kept["session_id"], "IDLE_TIMEOUT"))


async def test_max_duration_and_sandbox_end_sessions(make_fake: Any) -> None:
    clock = ManualClock()
    fake: Fake = await make_fake(clock=clock, sandbox_duration_s=60)
    capped = await fake.started(max_session_duration=30)
    sandbox = await fake.started(is_sandbox=True)
    paid = await fake.started()
    assert sandbox["max_session_duration"] == 60
    clock.advance(30)
    await wait_for(lambda: ended_with(fake, capped["session_id"], "MAX_DURATION_REACHED"))
    assert (await fake.session(sandbox["session_id"]))["status"] == "ACTIVE"
    await fake.bearer("POST", "/v1/sessions/keep-alive", paid["session_token"])
    clock.advance(30)
    await wait_for(lambda: ended_with(fake, sandbox["session_id"], "MAX_DURATION_REACHED"))
    assert (await fake.session(sandbox["session_id"]))["credits_consumed"] == 0
    assert (await fake.session(paid["session_id"]))["status"] == "ACTIVE"


async def test_credits_escrow_per_minute_billing_and_no_credits(make_fake: Any) -> None:
    clock = ManualClock()
    fake: Fake = await make_fake(clock=clock, initial_credits=7, seconds_per_billing_minute=10)

    async def balance() -> float:
        return float((await fake.api("GET", "/v1/users/credits")).json()["data"]["credits_left"])

    live = await fake.started()
    assert await balance() == 5  # the first minute is escrowed at start
    clock.advance(10)

    async def charged_twice() -> bool:
        return (await fake.session(live["session_id"]))["credits_consumed"] == 4

    await wait_for(charged_twice)
    assert await balance() == 3
    refused = await fake.token()
    lite = await fake.started(mode="LITE", avatar_persona=None)
    assert (await fake.session(lite["session_id"]))["credits_consumed"] == 1
    clock.advance(10)  # 2 credits left; the newer LITE session pays its minute first, FULL cannot pay 2
    await wait_for(lambda: ended_with(fake, live["session_id"], "NO_CREDITS"))
    assert (await fake.session(live["session_id"]))["credits_consumed"] == 4
    assert (await fake.session(lite["session_id"]))["credits_consumed"] == 2
    assert await balance() == 1
    no_money = await fake.bearer("POST", "/v1/sessions/start", refused["session_token"])
    assert no_money.status_code == 402 and no_money.json()["code"] == 4020


async def test_insufficient_credits_refuse_the_start(make_fake: Any) -> None:
    fake: Fake = await make_fake(initial_credits=1)
    token = await fake.token()
    response = await fake.bearer("POST", "/v1/sessions/start", token["session_token"])
    assert response.status_code == 402 and response.json()["code"] == 4020
    lite = await fake.token(mode="LITE", avatar_persona=None)
    assert (await fake.bearer("POST", "/v1/sessions/start", lite["session_token"])).status_code == 201
    sandbox = await fake.token(is_sandbox=True, avatar_id=WAYNE_ID)
    assert (await fake.bearer("POST", "/v1/sessions/start", sandbox["session_token"])).status_code == 201
