"""DATA_DIR is 0700 and the database files 0600; the API token file is created exclusively, checked on every
read, and the token is printed only to a terminal."""

from __future__ import annotations

import os
import socket
import stat
import sys
from pathlib import Path

import pytest
import uvicorn

from api import cli
from api.app import create_app
from api.auth import ensure_api_token
from state.private_files import PrivateFileError
from tests.api.conftest import RecordingFarm, make_settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_data_dir_is_0700_and_every_database_file_0600(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        settings = make_settings(tmp_path)
        app = create_app(settings, farm_factory=lambda repo, *_: RecordingFarm(repo))
        async with app.router.lifespan_context(app):
            await app.state.repository.events.append("test.write")
            files = sorted(settings.data_dir.glob("avatarfarm.sqlite3*"))
            assert {f.name for f in files} >= {"avatarfarm.sqlite3", "avatarfarm.sqlite3-wal", "avatarfarm.sqlite3-shm"}
            assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
            assert _mode(settings.data_dir) == 0o700
    finally:
        os.umask(old_umask)


async def test_an_existing_database_is_narrowed_to_0600(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    settings.data_dir.mkdir(mode=0o755)
    settings.database_path.touch(mode=0o644)
    app = create_app(settings, farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with app.router.lifespan_context(app):
        assert _mode(settings.database_path) == 0o600
        assert _mode(settings.data_dir) == 0o700


def test_a_token_file_others_can_read_is_refused_with_the_fix(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, api_token=None)
    token = ensure_api_token(settings)
    path = settings.data_dir / "api_token"
    assert token.generated and _mode(path) == 0o600
    assert ensure_api_token(settings).value == token.value
    path.chmod(0o640)
    with pytest.raises(PrivateFileError) as refused:
        ensure_api_token(settings)
    assert str(refused.value) == f"{path} can be read by other users (mode 640): run chmod 600 {path}"


def test_a_symlink_at_the_token_path_is_neither_followed_nor_trusted(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, api_token=None)
    settings.data_dir.mkdir(parents=True)
    target = tmp_path / "elsewhere"
    os.symlink(target, settings.data_dir / "api_token")  # dangling: writing through it would create `target`
    with pytest.raises(PrivateFileError, match="symbolic link"):
        ensure_api_token(settings)
    assert not target.exists()
    target.write_text("planted-token\n")
    target.chmod(0o600)
    with pytest.raises(PrivateFileError, match="symbolic link"):
        ensure_api_token(settings)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_prints_the_token_only_to_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("AVATARFARM_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)  # start-up only
    for terminal in (False, True):
        monkeypatch.setattr(sys.stdout, "isatty", lambda answer=terminal: answer)
        data = tmp_path / f"var-{terminal}"
        assert cli.main(["serve", "--data-dir", str(data), "--port", str(_free_port())]) == 0
        printed = capsys.readouterr().out
        token = (data / "api_token").read_text().strip()
        assert (token in printed) is terminal, printed
        assert str(data / "api_token") in printed


def test_serve_with_a_wrong_secret_key_stops_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.fernet import Fernet

    for name in list(os.environ):
        if name.startswith("AVATARFARM_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)
    data = tmp_path / "var"
    args = ["serve", "--data-dir", str(data), "--port", str(_free_port())]
    monkeypatch.setenv("AVATARFARM_SECRET_KEY", Fernet.generate_key().decode())
    assert cli.main(args) == 0
    import sqlite3

    with sqlite3.connect(data / "avatarfarm.sqlite3") as conn:
        conn.execute(
            "INSERT INTO zoom_grants (professor_id, user_id, refresh_token, created_at, updated_at) "
            "VALUES ('admin', 'u', 'r', 0, 0)"
        )
    assert cli.main(args) == 0  # the start-up pass encrypts the row with the key
    capsys.readouterr()
    monkeypatch.setenv("AVATARFARM_SECRET_KEY", Fernet.generate_key().decode())
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("avatarfarm: stored Zoom tokens cannot be decrypted")
