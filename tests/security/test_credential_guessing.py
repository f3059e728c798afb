"""Guessing the API token: wrong bearer tokens and wrong sign-in tokens from one address are throttled (429 with
Retry-After, then every credential from that address is refused until the window passes), and the log names the
address, never the token tried."""

from __future__ import annotations

import logging
import re
import time

import pytest

from api.auth_throttle import ALLOWED, AuthThrottle
from api.dashboard.session_cookie import SESSION_COOKIE, SESSION_SECONDS, issue
from tests.api.conftest import TOKEN, Api


async def test_wrong_bearer_tokens_are_throttled_per_address(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="avatarfarm.api")
    for attempt in range(ALLOWED):
        wrong = await api.anonymous.get("/api/sessions", headers={"Authorization": f"Bearer guess-{attempt:04d}"})
        assert wrong.status_code == 401
    throttled = await api.anonymous.get("/api/sessions", headers={"Authorization": "Bearer guess-next"})
    assert throttled.status_code == 429
    assert throttled.json()["error"] == "too_many_attempts"
    assert "try again in" in throttled.json()["message"]
    assert 0 < int(throttled.headers["retry-after"]) <= 300
    # The guesser cannot tell a right guess from a wrong one while throttled.
    assert (await api.client.get("/api/sessions")).status_code == 429
    logged = caplog.text
    assert "127.0.0.1" in logged
    assert "guess-" not in logged and TOKEN not in logged


async def test_a_missing_token_is_no_guess(api: Api) -> None:
    for _ in range(ALLOWED + 5):
        assert (await api.anonymous.get("/api/sessions")).status_code == 401
    assert (await api.client.get("/api/sessions")).status_code == 200


def _fields(page: str) -> dict[str, str]:
    form_token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert form_token is not None
    return {"form_token": form_token.group(1), "next": "/dashboard"}


async def test_wrong_sign_in_tokens_are_throttled(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="avatarfarm.api")
    page = (await api.anonymous.get("/dashboard/sign-in")).text
    for attempt in range(ALLOWED):
        wrong = await api.anonymous.post("/dashboard/sign-in", data={**_fields(page), "token": f"guess-{attempt}"})
        assert wrong.status_code == 401
        page = wrong.text  # each answer is a fresh form
    throttled = await api.anonymous.post("/dashboard/sign-in", data={**_fields(page), "token": TOKEN})
    assert throttled.status_code == 429
    assert "try again in" in throttled.text
    assert "avatarfarm_session" not in throttled.cookies
    assert "guess-" not in caplog.text and TOKEN not in caplog.text


def test_the_throttle_forgets_old_failures() -> None:
    now = [0.0]
    throttle = AuthThrottle(allowed=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        throttle.failed("203.0.113.9")
    assert throttle.retry_after("203.0.113.9") == 60
    assert throttle.retry_after("203.0.113.10") is None
    now[0] = 30
    assert throttle.retry_after("203.0.113.9") == 30
    now[0] = 61
    assert throttle.retry_after("203.0.113.9") is None


def test_the_throttle_holds_a_bounded_number_of_addresses() -> None:
    throttle = AuthThrottle(max_addresses=100)
    for n in range(1000):
        throttle.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(throttle._failures) == 100


async def test_a_stale_cookie_of_an_open_dashboard_tab_is_no_guess_but_a_forged_one_is(api: Api) -> None:
    stale, _ = issue(TOKEN, now=time.time() - SESSION_SECONDS - 60)  # signed here, expired since
    api.anonymous.cookies.set(SESSION_COOKIE, stale)
    for _ in range(ALLOWED + 5):
        assert (await api.anonymous.get("/api/events")).status_code == 401
    assert (await api.client.get("/api/sessions")).status_code == 200
    api.anonymous.cookies.set(SESSION_COOKIE, stale[:-4] + "AAAA")  # a signature this server never made
    for _ in range(ALLOWED):
        assert (await api.anonymous.get("/api/sessions")).status_code == 401
    assert (await api.client.get("/api/sessions")).status_code == 429
