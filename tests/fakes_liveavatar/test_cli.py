"""`avatarfarm fake-liveavatar` as a subprocess: options, health, and a clean exit on SIGTERM."""

from __future__ import annotations

import httpx

from tests.support.servers import run_cli_server

WAYNE = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"


def test_cli_serves_with_its_options_and_exits_cleanly() -> None:
    args = ["fake-liveavatar", "--api-key", "cli-key", "--admin-token", "cli-admin", "--idle-timeout", "42",
            "--max-concurrent-sessions", "3", "--credits", "10"]  # fmt: skip
    with run_cli_server(args) as server:
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200
        body = {"avatar_id": WAYNE, "avatar_persona": {}}
        assert (
            httpx.post(f"{server.base_url}/v1/sessions/token", json=body, headers={"X-API-KEY": "cli-key"}).json()[
                "code"
            ]
            == 1000
        )
        default_key = {"X-API-KEY": "avatarfarm-sim-liveavatar-key"}
        assert httpx.post(f"{server.base_url}/v1/sessions/token", json=body, headers=default_key).status_code == 401
        limits = httpx.get(f"{server.base_url}/admin/limits", headers={"Authorization": "Bearer cli-admin"}).json()
        assert limits["data"]["idle_timeout_s"] == 42 and limits["data"]["max_concurrent_sessions"] == 3
        credits = httpx.get(f"{server.base_url}/v1/users/credits", headers={"X-API-KEY": "cli-key"}).json()
        assert credits["data"]["credits_left"] == 10
        script = httpx.get(f"{server.base_url}/sdk/liveavatar-web-sdk.js")
        assert script.status_code == 200 and "LiveAvatarSession" in script.text
    assert server.process.returncode == 0, server.output()


def test_cli_defaults_match_the_farm_simulated_defaults() -> None:
    with run_cli_server(["fake-liveavatar"]) as server:
        body = {"avatar_id": WAYNE, "avatar_persona": {}}
        headers = {"X-API-KEY": "avatarfarm-sim-liveavatar-key"}
        assert httpx.post(f"{server.base_url}/v1/sessions/token", json=body, headers=headers).status_code == 200
        admin = httpx.get(f"{server.base_url}/admin/limits", headers={"Authorization": "Bearer avatarfarm-sim-admin"})
        assert admin.json()["data"]["idle_timeout_s"] == 300
