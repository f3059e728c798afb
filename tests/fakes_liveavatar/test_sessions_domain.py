"""SessionRegistry on a manual clock: lifecycle, limits, billing and escrow, without any server."""

from __future__ import annotations

from typing import Any

import pytest

from fakes.liveavatar.avatars import WAYNE_ID, find_avatar
from fakes.liveavatar.billing import CreditLedger
from fakes.liveavatar.envelope import BusinessError, ErrorCode
from fakes.liveavatar.sessions import AvatarSession, SessionRegistry, SessionStatus, StopReason
from tests.fakes_liveavatar.client import ManualClock, fake_config


def make_registry(clock: ManualClock, **overrides: Any) -> SessionRegistry:
    config = fake_config(clock=clock, **overrides)
    return SessionRegistry(config, CreditLedger(config.initial_credits, overage_enabled=config.overage_enabled))


def new_session(
    registry: SessionRegistry, *, mode: str = "FULL", sandbox: bool = False, max_duration: int = 7200
) -> AvatarSession:
    avatar = find_avatar(WAYNE_ID)
    assert avatar is not None
    return registry.create(
        mode=mode,
        avatar=avatar,
        voice=avatar.default_voice,
        voice_speed=1.0,
        is_sandbox=sandbox,
        quality="low",
        encoding="H264",
        interactivity_type="CONVERSATIONAL",
        max_session_duration=max_duration,
        language="en",
        context=None,
        start_session_data={"mode": mode},
    )


def test_first_minute_is_escrowed_at_start_and_each_started_minute_is_charged() -> None:
    clock = ManualClock()
    registry = make_registry(clock, initial_credits=100, seconds_per_billing_minute=60)
    session = new_session(registry)
    registry.start(session)
    assert registry.ledger.balance == 98 and session.credits_consumed == 2 and session.escrow == 2
    clock.advance(59.9)
    assert registry.tick(clock()) == []
    assert session.credits_consumed == 2
    clock.advance(0.2)  # minute 2 begins
    registry.tick(clock())
    assert session.credits_consumed == 4 and registry.ledger.balance == 96 and session.escrow == 0
    clock.advance(125)  # 185.1 s: minutes 3 and 4 have begun
    registry.tick(clock())
    assert session.billed_minutes == 4 and session.credits_consumed == 8
    registry.stop(session, StopReason.USER_CLOSED)
    clock.advance(600)
    registry.tick(clock())
    assert session.credits_consumed == 8 and registry.ledger.balance == 92


def test_lite_costs_one_credit_per_minute_and_sandbox_nothing() -> None:
    clock = ManualClock()
    registry = make_registry(clock, initial_credits=50, seconds_per_billing_minute=10)
    lite, sandbox = new_session(registry, mode="LITE"), new_session(registry, sandbox=True)
    registry.start(lite)
    registry.start(sandbox)
    clock.advance(25)
    registry.tick(clock())
    assert lite.credits_consumed == 3
    assert sandbox.credits_consumed == 0
    assert registry.ledger.balance == 47


def test_session_cannot_start_without_credits_for_one_minute() -> None:
    clock = ManualClock()
    registry = make_registry(clock, initial_credits=1.5)
    with pytest.raises(BusinessError) as error:
        registry.start(new_session(registry))
    assert error.value.status == 402 and error.value.code is ErrorCode.INSUFFICIENT_CREDITS
    registry.start(new_session(registry, mode="LITE"))  # one credit is enough for LITE


def test_session_ends_with_no_credits_when_the_next_minute_cannot_be_paid() -> None:
    clock = ManualClock()
    registry = make_registry(clock, initial_credits=5, seconds_per_billing_minute=10)
    session = new_session(registry)
    registry.start(session)
    clock.advance(10)
    assert registry.tick(clock()) == []
    clock.advance(10)
    assert registry.tick(clock()) == [(session, StopReason.NO_CREDITS)]
    assert session.end_reason is StopReason.NO_CREDITS and session.credits_consumed == 4
    assert registry.ledger.balance == 1


def test_overage_lets_the_balance_go_negative() -> None:
    clock = ManualClock()
    registry = make_registry(clock, initial_credits=2, seconds_per_billing_minute=10, overage_enabled=True)
    session = new_session(registry)
    registry.start(session)
    clock.advance(35)
    assert registry.tick(clock()) == []
    assert session.is_active and registry.ledger.balance == -6


def test_escrow_is_refunded_when_a_session_fails_to_initialise() -> None:
    clock = ManualClock()
    registry = make_registry(clock, initial_credits=10)
    session = new_session(registry)
    registry.start(session)
    registry.stop(session, StopReason.SERVER_ERROR)
    assert session.credits_consumed == 0 and registry.ledger.balance == 10


def test_escrow_is_kept_when_the_media_had_connected() -> None:
    clock = ManualClock()
    registry = make_registry(clock, initial_credits=10)
    session = new_session(registry)
    registry.start(session)
    session.media_connected_ever = True
    registry.stop(session, StopReason.SERVER_ERROR)
    assert session.credits_consumed == 2 and registry.ledger.balance == 8


def test_limits_end_sessions_with_their_reasons() -> None:
    clock = ManualClock()
    registry = make_registry(clock, idle_timeout_s=30, sandbox_duration_s=60)
    idle, capped, sandbox, busy = (
        new_session(registry),
        new_session(registry, max_duration=20),
        new_session(registry, sandbox=True),
        new_session(registry),
    )
    for session in (idle, capped, sandbox, busy):
        registry.start(session)
    clock.advance(20)
    registry.touch(busy)
    registry.touch(sandbox)
    assert registry.tick(clock()) == [(capped, StopReason.MAX_DURATION_REACHED)]
    clock.advance(10)
    registry.touch(busy)
    assert registry.tick(clock()) == [(idle, StopReason.IDLE_TIMEOUT)]
    clock.advance(29)
    registry.touch(busy)
    registry.touch(sandbox)
    assert registry.tick(clock()) == []
    clock.advance(1)
    assert registry.tick(clock()) == [(sandbox, StopReason.MAX_DURATION_REACHED)]
    assert busy.is_active
    assert [s.end_reason for s in (idle, capped, sandbox)] == [
        StopReason.IDLE_TIMEOUT,
        StopReason.MAX_DURATION_REACHED,
        StopReason.MAX_DURATION_REACHED,
    ]


def test_concurrency_cap_and_lifecycle_errors() -> None:
    clock = ManualClock()
    registry = make_registry(clock, max_concurrent_sessions=2)
    first, second, third = (new_session(registry) for _ in range(3))
    registry.start(first)
    registry.start(second)
    with pytest.raises(BusinessError) as error:
        registry.start(third)
    assert error.value.status == 429 and error.value.code is ErrorCode.CONCURRENCY_LIMIT
    with pytest.raises(BusinessError) as error:
        registry.start(first)
    assert error.value.code is ErrorCode.SESSION_ALREADY_STARTED
    registry.stop(first, StopReason.USER_CLOSED)
    with pytest.raises(BusinessError) as error:
        registry.start(first)
    assert error.value.code is ErrorCode.SESSION_ENDED
    registry.start(third)
    assert [s.status for s in (first, second, third)] == [
        SessionStatus.ENDED,
        SessionStatus.ACTIVE,
        SessionStatus.ACTIVE,
    ]


def test_the_first_end_reason_is_kept_and_listeners_hear_only_live_sessions() -> None:
    clock = ManualClock()
    registry = make_registry(clock)
    heard: list[tuple[str, StopReason]] = []
    registry.on_end(lambda session, reason: heard.append((session.id, reason)))
    live, never_started = new_session(registry), new_session(registry)
    registry.start(live)
    assert registry.stop(live, StopReason.ZOMBIE_SESSION_REAP)
    assert not registry.stop(live, StopReason.USER_CLOSED)
    assert registry.stop(never_started, StopReason.USER_CLOSED)
    assert live.end_reason is StopReason.ZOMBIE_SESSION_REAP
    assert heard == [(live.id, StopReason.ZOMBIE_SESSION_REAP)]
    assert {s.id for s in registry.historic()} == {never_started.id, live.id}


def test_a_client_out_of_the_room_for_the_absence_timeout_ends_the_session() -> None:
    clock = ManualClock()
    registry = make_registry(clock, client_absence_timeout_s=30, idle_timeout_s=300)
    never_joined, came_back, gone = new_session(registry), new_session(registry), new_session(registry)
    for session in (never_joined, came_back, gone):
        registry.start(session)
        clock.advance(1)
    for session in (came_back, gone):
        registry.client_joined(session)
        registry.client_left(session)
    clock.advance(20)
    registry.client_joined(came_back)  # back within the timeout: the clock starts again when it next leaves
    clock.advance(10.5)
    registry.tick(clock())
    assert gone.end_reason is StopReason.USER_DISCONNECTED
    assert came_back.is_active and never_joined.is_active  # a client that never joined waits for the idle timeout
    registry.client_left(came_back)
    clock.advance(29)
    registry.tick(clock())
    assert came_back.is_active
    clock.advance(1.5)
    registry.tick(clock())
    assert came_back.end_reason is StopReason.USER_DISCONNECTED and never_joined.is_active
