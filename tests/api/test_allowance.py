"""Monthly credit allowances: the admin sets one per professor; usage per professor per month is in the API; the
event (and webhook message) at 80 % and at 100 % is written once, with the usage that crossed it."""

from __future__ import annotations

from typing import Any

import httpx

from api.dashboard import session_cookie
from state import inspection
from state.models import AvatarSessionStatus
from tests.api.conftest import TOKEN, Api, session_body


def _as(api: Api, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=api.client._transport, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"}
    )


async def _professor(api: Api, email: str) -> dict[str, Any]:
    created = await api.client.post("/api/professors", json={"name": email.split("@")[0], "email": email})
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def _kinds(api: Api, kind: str) -> list[dict[str, Any]]:
    events = await inspection.rows(api.repository, "SELECT detail FROM events WHERE kind = ? ORDER BY id", (kind,))
    return [dict(row) for row in events]


async def test_the_allowance_warns_at_80_percent_once_and_usage_is_per_professor(api: Api) -> None:
    ada, bea = await _professor(api, "ada@example.edu"), await _professor(api, "bea@example.edu")
    ada_id = ada["professor"]["id"]
    refused = await api.client.put(f"/api/professors/{ada_id}/allowance", json={"monthly_credits": -5})
    assert refused.status_code == 422
    assert (await api.client.get("/api/professors")).json()["professors"][1]["monthly_credit_allowance"] is None
    set_ = await api.client.put(f"/api/professors/{ada_id}/allowance", json={"monthly_credits": 100})
    assert set_.status_code == 200 and set_.json()["monthly_credit_allowance"] == 100
    async with _as(api, ada["token"]["token"]) as client:
        answer = await client.post("/api/sessions", json=session_body(rooms=1))
        session = answer.json()
        assert answer.status_code == 202, session
        room_id = session["rooms"][0]["id"]
        row = await api.repository.avatars.open(room_id, bot_id=None)
        await api.repository.avatars.started(row.id, vendor_session_id="vendor-1")
        await api.repository.avatars.record_usage(row.id, minutes=5, credits=40)
        assert await _kinds(api, "allowance.warning") == []
        await api.repository.avatars.record_usage(row.id, minutes=10, credits=85)
        await api.repository.avatars.record_usage(row.id, minutes=11, credits=90)  # still above: no second warning
        assert len(await _kinds(api, "allowance.warning")) == 1
        assert await _kinds(api, "allowance.reached") == []
        messages = await inspection.rows(
            api.repository, "SELECT payload FROM webhook_messages WHERE type = 'allowance.warning'"
        )
        assert len(messages) == 1 and '"percent":85.0' in messages[0]["payload"]
        usage = (await client.get("/api/usage")).json()["professors"]
        assert [u["professor_id"] for u in usage] == [ada_id]
        assert usage[0]["this_month"]["credits"] == 90 and usage[0]["used_percent"] == 90.0
        assert usage[0]["months"][0]["minutes"] == 11

    await api.repository.avatars.close(row.id, status=AvatarSessionStatus.stopped, end_reason="idle", credits=101)
    assert len(await _kinds(api, "allowance.reached")) == 1
    async with _as(api, bea["token"]["token"]) as client:
        theirs = (await client.get("/api/usage")).json()["professors"]
        assert [u["professor_id"] for u in theirs] == [bea["professor"]["id"]]
        assert theirs[0]["this_month"]["credits"] == 0 and theirs[0]["used_percent"] is None
    everyone = (await api.client.get("/api/usage")).json()["professors"]
    assert {u["professor_id"] for u in everyone} == {"admin", ada_id, bea["professor"]["id"]}


async def test_the_dashboard_sets_allowances_and_shows_usage(api: Api) -> None:
    ada = await _professor(api, "ada@example.edu")
    ada_id = ada["professor"]["id"]
    cookie, signed_in = session_cookie.issue(TOKEN)
    async with httpx.AsyncClient(transport=api.client._transport, base_url="http://testserver") as admin:
        admin.cookies.set(session_cookie.SESSION_COOKIE, cookie)
        form = {"csrf_token": signed_in.csrf_token, "monthly_credits": "250"}
        assert (await admin.post(f"/dashboard/account/professors/{ada_id}/allowance", data=form)).status_code == 303
        bad = await admin.post(
            f"/dashboard/account/professors/{ada_id}/allowance", data={**form, "monthly_credits": "lots"}
        )
        assert bad.status_code == 422 and "above 0" in bad.text
        page = await admin.get("/dashboard/account")
        assert 'value="250"' in page.text and "Credits this month" in page.text
    assert (await api.repository.professors.get(ada_id)).monthly_credit_allowance == 250  # type: ignore[union-attr]
