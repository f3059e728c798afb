"""`avatarfarm fake-liveavatar` as a subprocess: options, health, a clean exit on SIGTERM, and its LiveKit server
never outliving it."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest

from fakes.liveavatar.livekit_server import find_binary
from tests.support.servers import run_cli_server

WAYNE = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"


def test_cli_serves_with_its_options_and_exits_cleanly() -> None:
    args = ["fake-liveavatar", "--api-key", "cli-key", "--admin-token", "cli-admin", "--idle-timeout", "42",
            "--max-concurrent-sessions", "3", "--credits", "10", "--client-absence-timeout", "7"]  # fmt: skip
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
        assert limits["data"]["client_absence_timeout_s"] == 7
        credits = httpx.get(f"{server.base_url}/v1/users/credits", headers={"X-API-KEY": "cli-key"}).json()
        assert credits["data"]["credits_left"] == 10
    assert server.process.returncode == 0, server.output()


def test_cli_defaults_match_the_farm_simulated_defaults() -> None:
    with run_cli_server(["fake-liveavatar"]) as server:
        body = {"avatar_id": WAYNE, "avatar_persona": {}}
        headers = {"X-API-KEY": "avatarfarm-sim-liveavatar-key"}
        assert httpx.post(f"{server.base_url}/v1/sessions/token", json=body, headers=headers).status_code == 200
        admin = httpx.get(f"{server.base_url}/admin/limits", headers={"Authorization": "Bearer avatarfarm-sim-admin"})
        assert admin.json()["data"]["idle_timeout_s"] == 300


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command name) of the processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            text = stat.read_text()
            name = text[text.index("(") + 1 : text.rindex(")")]
            if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
                found.append((int(stat.parent.name), name))
    return found


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with contextlib.suppress(OSError):  # a zombie counts as gone
            if Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z"):
                return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux") or find_binary() is None, reason="Linux with livekit-server")
@pytest.mark.parametrize("kill", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_cli_runs_its_own_livekit_server_and_takes_it_along(kill: signal.Signals) -> None:
    with run_cli_server(["fake-liveavatar", "--admin-token", "cli-admin"]) as server:
        answer = httpx.get(f"{server.base_url}/admin/livekit", headers={"Authorization": "Bearer cli-admin"})
        assert answer.json()["data"]["url"].startswith("ws://127.0.0.1:")
        livekit = [pid for pid, name in _children(server.process.pid) if "livekit" in name or name == "server"]
        assert len(livekit) == 1, _children(server.process.pid)
        os.kill(server.process.pid, kill)
        # SIGTERM: the fake stops it on its way out; SIGKILL: the kernel does (it was told to die with its parent).
        assert _gone(livekit[0]), f"livekit-server {livekit[0]} outlived the fake ({kill.name})"
