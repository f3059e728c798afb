"""The command line: serve answers and stops cleanly, bad settings give one line, db migrate/show, --help."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from farm.settings import SIM_LIVEAVATAR_API_KEY, SIM_ZOOM_SDK_SECRET
from state.migrations import latest_version
from tests.support.servers import run_cli_server


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AVATARFARM_")}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_serve_answers_says_where_the_token_is_and_stops_on_sigterm(tmp_path: Path) -> None:
    data = str(tmp_path / "var")
    with run_cli_server(["serve", "--data-dir", data]) as server:
        assert httpx.get(server.base_url + "/healthz").json() == {"status": "ok"}
        # An idle keep-alive connection outlives uvicorn's 5 s default (pollers reuse pooled connections).
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle:
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while not answer.endswith(b'{"status":"ok"}'):
                answer += idle.recv(4096)
            assert answer.startswith(b"HTTP/1.1 200")
            idle.settimeout(7)
            with pytest.raises(TimeoutError):  # nothing arrives: no close (b"") within 7 s
                idle.recv(1)
        token = (tmp_path / "var" / "api_token").read_text().strip()
        listed = httpx.get(server.base_url + "/api/sessions", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200
        server.process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal so the exit status says why it stopped.
        assert server.process.wait(timeout=15) in (0, -signal.SIGTERM)
        first_output = server.output()
    assert "Application shutdown complete" in first_output
    # Standard output is a pipe here, not a terminal: the token is not printed, only where it is kept.
    assert token not in first_output
    assert f"API token generated and kept in {tmp_path / 'var' / 'api_token'}" in first_output
    for secret in (SIM_ZOOM_SDK_SECRET, SIM_LIVEAVATAR_API_KEY):
        assert secret not in first_output
    with run_cli_server(["serve", "--data-dir", data]) as server:
        again = httpx.get(server.base_url + "/api/sessions", headers={"Authorization": f"Bearer {token}"})
        assert again.status_code == 200
    assert token not in server.output()
    assert "API token" not in server.output()


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("AVATARFARM_PORT", "abc", "AVATARFARM_PORT: must be a whole number"),
        ("AVATARFARM_PORT", "99999", "AVATARFARM_PORT: must be at most 65535"),
        ("AVATARFARM_ZOOM_MODE", "live", "AVATARFARM_ZOOM_SDK_KEY is required when AVATARFARM_ZOOM_MODE=live"),
        ("AVATARFARM_LIVEAVATAR_MODE", "live", "AVATARFARM_LIVEAVATAR_API_KEY is required"),
        ("AVATARFARM_LIVEAVATAR_MODE", "production", "AVATARFARM_LIVEAVATAR_MODE: must be one of: sim or live"),
        ("AVATARFARM_MAX_BOTS", "0", "AVATARFARM_MAX_BOTS: must be at least 1"),
        ("AVATARFARM_ZOOM_API_BASE", "api.zoom.us", "AVATARFARM_ZOOM_API_BASE must start with http"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line(tmp_path: Path, variable: str, value: str, words: str) -> None:
    result = _cli("serve", env={variable: value, "AVATARFARM_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("avatarfarm: configuration error: ")
    assert words in lines[0]
    assert result.stdout == ""
    assert not (tmp_path / "avatarfarm.sqlite3").exists()


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("AVATARFARM_PORT=not-a-port\n")
    result = _cli("serve", cwd=tmp_path)
    assert result.returncode == 2 and "AVATARFARM_PORT" in result.stderr


def test_db_migrate_and_show(tmp_path: Path) -> None:
    data = str(tmp_path / "var")
    missing = _cli("db", "--data-dir", data, "show")
    assert missing.returncode == 2 and "no database" in missing.stderr
    first = _cli("db", "--data-dir", data, "migrate")
    latest = latest_version()
    assert first.returncode == 0 and f"migrated from schema version 0 to {latest}" in first.stdout
    again = _cli("db", "--data-dir", data, "migrate")
    assert f"already at schema version {latest}" in again.stdout
    shown = _cli("db", "--data-dir", data, "show")
    assert shown.returncode == 0
    assert f"schema version  {latest}" in shown.stdout and "sessions        none" in shown.stdout


def test_help_explains_each_command() -> None:
    top = _cli("--help")
    assert top.returncode == 0
    for command in ("serve", "db"):
        assert command in top.stdout
    serve = _cli("serve", "--help")
    assert "SIGTERM" in serve.stdout and "--port" in serve.stdout
    db = _cli("db", "--help")
    assert "migrate" in db.stdout and "show" in db.stdout


def test_serve_refuses_a_port_in_use(tmp_path: Path) -> None:
    with run_cli_server(["serve", "--data-dir", str(tmp_path / "a")]) as server:
        # Refused at once in words, never retried: a second server waiting on the port would hang _cli's 60 s.
        result = _cli("serve", "--data-dir", str(tmp_path / "b"), "--port", str(server.port))
        assert result.returncode != 0
        assert f"cannot listen on 127.0.0.1:{server.port}" in result.stderr, result.stderr


def test_serve_tells_where_a_generated_webhook_secret_is_kept_and_never_prints_it_to_a_file(tmp_path: Path) -> None:
    data = str(tmp_path / "var")
    env = {"AVATARFARM_WEBHOOK_URLS": "http://127.0.0.1:9/hook"}
    with run_cli_server(["serve", "--data-dir", data], env=env) as server:
        secret = (tmp_path / "var" / "webhook_secret").read_text().strip()
        assert secret.startswith("whsec_")
        assert (tmp_path / "var" / "webhook_secret").stat().st_mode & 0o777 == 0o600
        first_output = server.output()
    # Standard output is a file here, not a terminal: where the secret is kept, never the secret.
    assert f"Webhook signing secret generated and kept in {tmp_path / 'var' / 'webhook_secret'}" in first_output
    assert secret not in first_output
    with run_cli_server(["serve", "--data-dir", data], env=env) as server:
        assert httpx.get(server.base_url + "/healthz").status_code == 200
    assert secret not in server.output() and "Webhook signing secret" not in server.output()


def test_a_taken_port_stops_serve_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        result = _cli("serve", "--data-dir", str(tmp_path / "var"), "--port", str(port))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "AVATARFARM_PORT" in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("command", ["node", "db", "doctor"])
def test_a_command_that_runs_no_api_does_not_load_it(command: str) -> None:
    # Every command's parser is built at each start; the demo's used to bring in the whole API and farm (about a
    # second of CPU) for `avatarfarm node`, `db`, `doctor` and each fake, whose processes the tests start by the
    # dozen. Only the demo and serve load the app.
    probe = (
        "import sys\n"
        "from api.cli import build_parser\n"
        f"build_parser({command!r})\n"
        "print(sorted(m for m in ('api.app', 'api.demo', 'farm.manager') if m in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", loaded
