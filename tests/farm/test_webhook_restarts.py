"""Webhooks survive the manager: deliveries pending when `avatarfarm serve` is SIGKILLed arrive after the
restart, each accepted once, with the webhook-id it had before (the receiver verifies every signature)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from farm.webhook_secret import new_secret
from tests.farm.harness import LA_API_KEY, TOKEN, liveavatar_server, session_request
from tests.support.ports import free_port
from tests.support.servers import serve_app
from tests.support.webhook_receiver import WebhookReceiver


class Serve:
    """`avatarfarm serve` as a process on a fixed port and data dir, so that it can be killed and restarted."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "serve.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AVATARFARM_")},
            "AVATARFARM_DATA_DIR": str(tmp_path / "var"),
            "AVATARFARM_PORT": str(self.port),
            "AVATARFARM_API_TOKEN": TOKEN,
            **env,
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "api.cli", "serve", env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient() as client:
            while True:
                assert self.process.returncode is None, self.log.read_text()
                try:
                    # Started (uvicorn answers once start-up is done); not /readyz: no fake Zoom or LiveAvatar
                    # runs here, and in sim mode /readyz says so.
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, self.log.read_text()
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), 10)


async def test_deliveries_pending_at_sigkill_arrive_after_the_restart(tmp_path: Path) -> None:
    secret = new_secret()
    receiver = WebhookReceiver(secret, mode="fail")
    async with serve_app(receiver.app()) as hook, liveavatar_server() as (la_url, _):
        serve = Serve(
            tmp_path,
            {
                "AVATARFARM_WEBHOOK_URLS": f"{hook.base_url}/hook",
                "AVATARFARM_WEBHOOK_SECRET": secret,
                "AVATARFARM_WEBHOOK_FIRST_RETRY_SECONDS": "0.2",
                "AVATARFARM_WEBHOOK_MAX_RETRY_SECONDS": "0.5",
                # No Zoom here: the meeting cannot be created, so the session ends at once (no browser needed).
                "AVATARFARM_ZOOM_API_BASE": f"http://127.0.0.1:{free_port()}",
                "AVATARFARM_LIVEAVATAR_API_BASE": la_url,
                "AVATARFARM_LIVEAVATAR_API_KEY": LA_API_KEY,
            },
        )
        try:
            await serve.start()
            body = session_request("0", ["Room 1", "Room 2"], meeting={"create": True, "topic": "CS 101"})
            async with httpx.AsyncClient(base_url=serve.url, headers={"Authorization": f"Bearer {TOKEN}"}) as api:
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
