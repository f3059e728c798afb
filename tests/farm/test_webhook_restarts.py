"""Webhooks survive the manager: deliveries pending when `avatarfarm serve` is SIGKILLed arrive after the
restart, each accepted once, with the webhook-id it had before (the receiver verifies every signature)."""

from __future__ import annotations

from pathlib import Path

import httpx

from farm.webhooks.secret import new_secret
from state.database import Database
from tests.farm.harness import TOKEN, liveavatar_server, session_request
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.manager_process import ManagerProcess
from tests.support.ports import free_port
from tests.support.servers import serve_app
from tests.support.webhook_receiver import WebhookReceiver


async def _zoom_connected(database: Path) -> None:
    """The admin's Zoom grant, written as an older version would have (plaintext: start-up encrypts it)."""
    db = await Database.open(database)
    try:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO zoom_grants (professor_id, user_id, refresh_token, access_token, access_expires_at, "
                "created_at, updated_at) VALUES ('admin', 'zoom-admin', 'r', 'a', 1e12, 0, 0)"
            )
    finally:
        await db.close()


async def test_deliveries_pending_at_sigkill_arrive_after_the_restart(tmp_path: Path) -> None:
    secret = new_secret()
    receiver = WebhookReceiver(secret, mode="fail")
    async with serve_app(receiver.app()) as hook, liveavatar_server() as (la_url, _):
        serve = ManagerProcess(
            tmp_path,
            # No Zoom here (nothing listens on its port): the professor's Zoom is connected (below), but the
            # meeting cannot be created, so the session ends at once (no browser needed).
            f"http://127.0.0.1:{free_port()}",
            la_url,
            ready="/healthz",  # not /readyz: no fake Zoom runs here, and in sim mode /readyz says so
            webhook_urls=f"{hook.base_url}/hook",
            webhook_secret=secret,
            webhook_first_retry_seconds="0.2",
            webhook_max_retry_seconds="0.5",
        )
        try:
            await _zoom_connected(serve.database)
            await serve.start()
            body = session_request("0", ["Room 1", "Room 2"], meeting={"create": True, "topic": "CS 101"})
            async with httpx.AsyncClient(
                timeout=CLIENT_TIMEOUT, base_url=serve.url, headers={"Authorization": f"Bearer {TOKEN}"}
            ) as api:
                created = (await api.post("/api/sessions", json=body)).json()
                # A meeting that cannot be created ends its session at once, in words.
                assert created["status"] == "ended", created
            await receiver.wait_for(lambda: len(receiver.attempts) >= 2)  # the first message is being retried
            assert not receiver.accepted
            tried_before = set(receiver.attempts)
            await serve.kill()

            receiver.mode = "ok"
            await serve.start()
            await receiver.wait_for(lambda: any(d.type == "session.ended" for d in receiver.accepted))
        finally:
            if serve.process is not None and serve.process.returncode is None:
                await serve.kill()
    ids = receiver.ids()
    assert len(ids) == len(set(ids)), "a delivery was accepted twice"
    assert tried_before <= set(ids)  # the same webhook-id as before the kill
    assert receiver.bad_signatures == 0
    statuses = [(d["room"], d["status"]) for d in receiver.of_type("room.status")]
    for room in ("Room 1", "Room 2"):
        assert [s for r, s in statuses if r == room][:2] == ["queued", "failed"], statuses
    assert receiver.of_type("session.ended")[0]["session_id"] == created["id"]
    assert "whsec_" not in serve.log.read_text()  # the configured secret is never printed or logged
