"""`avatarfarm fake-zoom` as a subprocess: options, health, and a clean stop on SIGTERM."""

from __future__ import annotations

import signal

import httpx

from tests.support.servers import run_cli_server


def test_cli_serves_with_the_given_credentials() -> None:
    args = ["fake-zoom", "--admin-token", "cli-admin", "--sdk-key", "cli-key", "--log-level", "warning"]
    with run_cli_server(args) as server:
        assert httpx.get(server.base_url + "/healthz").json() == {"status": "ok"}
        assert httpx.get(server.base_url + "/fake/meetings").status_code == 401
        admin = {"Authorization": "Bearer cli-admin"}
        created = httpx.post(server.base_url + "/fake/meetings", json={"number": "12345678901"}, headers=admin)
        assert created.status_code == 201
        script = httpx.get(server.base_url + "/sdk/zoomus-websdk-embedded.js")
        assert script.status_code == 200 and "window.ZoomMtgEmbedded" in script.text
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=15) == 0, server.output()


def test_cli_defaults_match_the_farms_simulated_settings() -> None:
    with run_cli_server(["fake-zoom", "--log-level", "warning"]) as server:
        admin = {"Authorization": "Bearer avatarfarm-sim-admin"}
        assert httpx.get(server.base_url + "/fake/meetings", headers=admin).json() == []
        authorize = httpx.get(
            server.base_url + "/oauth/authorize",
            params={
                "client_id": "avatarfarm-sim-oauth-client",
                "redirect_uri": "http://x.test/cb",
                "user": "sim-professor",
            },
        )
        assert authorize.status_code == 302
