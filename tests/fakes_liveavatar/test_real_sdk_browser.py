"""The real @heygen/liveavatar-web-sdk (from bot_page/node_modules) in headless Chromium against the fake's REST:
start() must get through POST /v1/sessions/start (code 1000, token decoded) and fail only at the LiveKit connect,
which has no server offline. See vendor_sdk.py for how the package is served to the page."""

from __future__ import annotations

from typing import Any

import pytest

from fakes.liveavatar.livekit_stub import REFUSAL
from tests.fakes_liveavatar.browser import chromium, events, open_harness
from tests.fakes_liveavatar.client import Fake, wait_for
from tests.fakes_liveavatar.harness import harness_server
from tests.fakes_liveavatar.vendor_sdk import IMPORT_MAP, SDK_BUNDLE, SDK_PATH, vendor_routes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not SDK_BUNDLE.is_file(), reason="bot_page/node_modules not installed (make node-deps)"),
]

START_REAL = """
async ([token, apiUrl]) => {
  const session = new sdk.LiveAvatarSession(token, { apiUrl });
  window.session = session;
  for (const name of [...Object.values(sdk.SessionEvent), ...Object.values(sdk.AgentEventsEnum)]) {
    session.on(name, (payload) => window.avatarEvents.push({ name, payload: payload ?? null, t: performance.now() }));
  }
  const decoded = { mode: session.mode, agentType: session.agentType };
  try {
    await session.start();
    return { decoded, error: null };
  } catch (error) {
    return {
      decoded,
      error: {
        name: error.name,
        message: String(error.message),
        status: error.status ?? null,
        reason: error.reason ?? null,
      },
    };
  }
}
"""


async def calls(fake: Fake) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = (await fake.admin("GET", "/admin/calls")).json()["data"]
    return data


async def test_real_sdk_gets_through_the_rest_start_and_fails_at_the_livekit_connect(fake: Fake) -> None:
    context_id = await fake.create_context()
    token = await fake.token(avatar_persona={"context_id": context_id})
    async with harness_server(IMPORT_MAP, vendor_routes()) as harness, chromium() as browser:
        page = await open_harness(browser, harness, f"{harness.base_url}{SDK_PATH}")
        assert await page.evaluate("typeof sdk.LiveAvatarSession") == "function"
        result = await page.evaluate(START_REAL, [token["session_token"], fake.base_url])
        recorded = await events(page)

    # The SDK decoded start_session_data from the fake's JWT.
    assert result["decoded"] == {"mode": "FULL", "agentType": "FULL"}
    # The REST step succeeded: one bearer start answered 201 with code 1000 ...
    log = await calls(fake)
    starts = [call for call in log if call["path"] == "/v1/sessions/start"]
    assert [(call["method"], call["status"], call["auth"]) for call in starts] == [("POST", 201, "bearer")]
    # ... and the SDK went on to the LiveKit room at the returned livekit_url, which refused it.
    assert any(call["method"] == "WEBSOCKET" and call["path"] == "/livekit/rtc" for call in log), log
    assert any(call["path"] == "/livekit/rtc/validate" for call in log), log
    error = result["error"]
    assert error is not None and error["name"] == "ConnectionError", error
    assert REFUSAL in error["message"] and error["status"] == 401, error
    # The failure is reported like any failed start, and the SDK's cleanup stopped the session at the service.
    assert [event["payload"] for event in recorded if event["name"] == "session.state_changed"] == [
        "CONNECTING",
        "DISCONNECTED",
    ]
    # (livekit's room Disconnected event makes the real SDK report UNKNOWN_REASON first.)
    disconnects = [event["payload"] for event in recorded if event["name"] == "session.disconnected"]
    assert disconnects[-1] == "SESSION_START_FAILED" and set(disconnects) <= {"UNKNOWN_REASON", "SESSION_START_FAILED"}
    await wait_for(lambda: _ended(fake, token["session_id"]))
    assert any(call["path"] == "/v1/sessions/stop" and call["status"] == 200 for call in await calls(fake))
    assert (await fake.session(token["session_id"]))["end_reason"] == "USER_CLOSED"


async def test_real_sdk_reads_the_fake_error_envelope(fake: Fake) -> None:
    token = await fake.token()
    await fake.admin("POST", "/admin/faults", json={"path": "/v1/sessions/start", "fault": "500"})
    async with harness_server(IMPORT_MAP, vendor_routes()) as harness, chromium() as browser:
        page = await open_harness(browser, harness, f"{harness.base_url}{SDK_PATH}")
        result = await page.evaluate(START_REAL, [token["session_token"], fake.base_url])
    error = result["error"]
    assert error == {"name": "Error", "message": "Internal server error (injected)", "status": 500, "reason": None}
    assert not any(call["path"] == "/livekit/rtc" for call in await calls(fake))


async def _ended(fake: Fake, session_id: str) -> bool:
    return bool((await fake.session(session_id))["status"] == "ENDED")
