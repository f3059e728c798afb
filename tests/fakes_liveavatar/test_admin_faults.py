"""The admin endpoint: fault injection (500, 429, hang), server-side stop, internals, call log, credits, limits."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes_liveavatar.client import Fake


async def test_admin_needs_its_token(fake: Fake) -> None:
    assert (await fake.http.get("/admin/sessions")).status_code == 401
    wrong = await fake.http.get("/admin/sessions", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403 and wrong.json()["code"] == 403
    assert (await fake.http.get("/admin/sessions", headers=fake.headers)).status_code == 401
    assert (await fake.admin("GET", "/admin/sessions")).json()["code"] == 1000


async def test_fail_the_next_n_calls_with_500_then_recover(fake: Fake) -> None:
    fault = await fake.admin(
        "POST", "/admin/faults", json={"method": "POST", "path": "/v1/sessions/token", "fault": "500", "times": 2}
    )
    assert fault.status_code == 200 and fault.json()["data"]["remaining"] == 2
    body = {"avatar_id": "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a", "avatar_persona": {}}
    for _ in range(2):
        failed = await fake.api("POST", "/v1/sessions/token", json=body)
        assert failed.status_code == 500 and failed.json()["code"] == 500
    assert (await fake.api("GET", "/v1/avatars/public")).status_code == 200  # other endpoints unaffected
    assert (await fake.api("POST", "/v1/sessions/token", json=body)).status_code == 200
    faults = (await fake.admin("GET", "/admin/faults")).json()["data"]
    assert faults[0]["remaining"] == 0 and faults[0]["hits"] == 2


async def test_429_with_retry_after_on_a_path_template(fake: Fake) -> None:
    live = await fake.started()
    await fake.admin("POST", "/admin/faults", json={"path": "/v1/sessions/{session_id}", "fault": "429"})
    limited = await fake.api("GET", f"/v1/sessions/{live['session_id']}")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1" and limited.json()["code"] == 429
    assert (await fake.api("GET", f"/v1/sessions/{live['session_id']}/transcript")).status_code == 200
    assert (await fake.api("GET", f"/v1/sessions/{live['session_id']}")).status_code == 200


async def test_hang_until_the_client_gives_up_then_recover(fake: Fake) -> None:
    token = await fake.token()
    await fake.admin("POST", "/admin/faults", json={"path": "/v1/sessions/start", "fault": "hang", "hang_seconds": 60})
    with pytest.raises(httpx.ReadTimeout):
        await fake.http.post(
            "/v1/sessions/start", headers={"Authorization": f"Bearer {token['session_token']}"}, timeout=0.5
        )
    response = await fake.bearer("POST", "/v1/sessions/start", token["session_token"])
    assert response.status_code == 201  # the hung call never reached the handler


async def test_a_short_hang_ends_in_504(fake: Fake) -> None:
    await fake.admin("POST", "/admin/faults", json={"path": "/v1/contexts", "fault": "hang", "hang_seconds": 0.3})
    response = await fake.api("GET", "/v1/contexts")
    assert response.status_code == 504 and response.json()["code"] == 504


async def test_fault_bodies_are_validated_and_faults_cleared(fake: Fake) -> None:
    for body in ({"path": "/v1/x", "fault": "503"}, {"path": "v1/x", "fault": "500"}, {"fault": "500"}):
        assert (await fake.admin("POST", "/admin/faults", json=body)).status_code == 422
    await fake.admin("POST", "/admin/faults", json={"path": "/v1/contexts", "fault": "500", "times": 5})
    assert (await fake.admin("DELETE", "/admin/faults")).status_code == 200
    assert (await fake.api("GET", "/v1/contexts")).status_code == 200


async def test_server_side_stop_with_a_reason_and_internals(fake: Fake) -> None:
    live = await fake.started()
    stopped = await fake.admin("POST", f"/admin/sessions/{live['session_id']}/stop", json={"reason": "AVATAR_DELETED"})
    assert stopped.status_code == 200 and stopped.json()["data"]["end_reason"] == "AVATAR_DELETED"
    assert (await fake.session(live["session_id"]))["end_reason"] == "AVATAR_DELETED"
    assert (await fake.admin("POST", "/admin/sessions/nope/stop", json={})).status_code == 404
    bad = await fake.admin("POST", f"/admin/sessions/{live['session_id']}/stop", json={"reason": "BORED"})
    assert bad.status_code == 422
    internals = (await fake.admin("GET", "/admin/sessions")).json()["data"]
    row = next(item for item in internals if item["id"] == live["session_id"])
    for key in ("billed_minutes", "escrow", "client_in_room", "idle_timeout_in", "events", "start_session_data"):
        assert key in row
    assert row["status"] == "ENDED" and row["credits_consumed"] == 2


async def test_call_log_records_what_clients_sent(fake: Fake) -> None:
    token = await fake.token()
    await fake.bearer("POST", "/v1/sessions/start", token["session_token"])
    await fake.http.get("/v1/sessions")
    calls = (await fake.admin("GET", "/admin/calls", params={"path": "/v1/sessions"})).json()["data"]
    summary = [(call["method"], call["path"], call["status"], call["auth"]) for call in calls]
    assert ("POST", "/v1/sessions/token", 200, "api_key") in summary
    assert ("POST", "/v1/sessions/start", 201, "bearer") in summary
    assert ("GET", "/v1/sessions", 401, "none") in summary
    await fake.admin("DELETE", "/admin/calls")
    assert (await fake.admin("GET", "/admin/calls")).json()["data"] == []


async def test_credits_and_limits_can_be_changed_at_run_time(fake: Fake) -> None:
    credits = await fake.admin("PUT", "/admin/credits", json={"balance": 1})
    assert credits.json()["data"]["balance"] == 1
    token = await fake.token()
    assert (await fake.bearer("POST", "/v1/sessions/start", token["session_token"])).status_code == 402
    await fake.admin("PUT", "/admin/credits", json={"overage_enabled": True})
    assert (await fake.bearer("POST", "/v1/sessions/start", token["session_token"])).status_code == 201
    limits = await fake.admin("PUT", "/admin/limits", json={"max_concurrent_sessions": 1})
    assert limits.json()["data"]["max_concurrent_sessions"] == 1
    second = await fake.token()
    assert (await fake.bearer("POST", "/v1/sessions/start", second["session_token"])).status_code == 429
    # Apart from the limit: an idle timeout of 0.5 s set with it ended the running session before the second
    # start whenever that came half a second later (a fresh-clone run beside a busy core), and freed its place.
    limits = await fake.admin("PUT", "/admin/limits", json={"idle_timeout_s": 0.5})
    assert limits.json()["data"]["idle_timeout_s"] == 0.5
    assert (await fake.admin("PUT", "/admin/limits", json={"idle_timeout_s": -1})).status_code == 422
    assert (await fake.admin("GET", "/admin/limits")).json()["data"]["idle_timeout_s"] == 0.5
