"""Zoom OAuth tokens are encrypted at rest: the SQLite file holds no token text, plaintext rows of older versions
are encrypted at start-up, keys rotate, and a wrong key is one clear line."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from api.secrets_at_rest import open_repository, open_secret_box
from farm.settings import Settings, load_settings
from state.database import Database
from state.professors_repository import ADMIN_ID
from state.secret_box import SecretKeyError

REFRESH = "zoom-refresh-token-7c41e0"
ACCESS = "zoom-access-token-93ab2d"


def _settings(tmp_path: Path, key: str | None = None) -> Settings:
    return load_settings(data_dir=tmp_path / "var", api_token="t" + "5f0c1d2e3a4b69788796a5b4c3d2e1f0", secret_key=key)


def _file_text(settings: Settings) -> str:
    """Every byte SQLite keeps for this database (main file and WAL), as text."""
    raw = b""
    for suffix in ("", "-wal"):
        path = settings.database_path.with_name(settings.database_path.name + suffix)
        if path.exists():
            raw += path.read_bytes()
    return raw.decode("latin-1")


def _rows(settings: Settings) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(settings.database_path)) as conn:
        return list(conn.execute("SELECT refresh_token, access_token FROM zoom_grants"))


async def _save(settings: Settings, refresh: str = REFRESH, access: str = ACCESS) -> None:
    repository = await open_repository(settings, open_secret_box(settings))
    try:
        await repository.zoom_grants.save(
            professor_id=ADMIN_ID,
            user_id="u1",
            email="ada@example.edu",
            refresh_token=refresh,
            access_token=access,
            access_expires_at=1e10,
        )
    finally:
        await repository.close()


async def _read(settings: Settings) -> tuple[str, str | None]:
    repository = await open_repository(settings, open_secret_box(settings))
    try:
        grant = await repository.zoom_grants.get(ADMIN_ID)
    finally:
        await repository.close()
    assert grant is not None
    return grant.refresh_token, grant.access_token


async def test_the_database_file_holds_no_token_text(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    await _save(settings)
    text = _file_text(settings)
    assert "ada@example.edu" in text  # the file is readable as text: the check below can see tokens
    assert REFRESH not in text and ACCESS not in text
    assert all(str(value).startswith("fernet:") for row in _rows(settings) for value in row)
    assert await _read(settings) == (REFRESH, ACCESS)


async def test_the_generated_key_is_a_private_file_and_is_reused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    await _save(settings)
    key_file = settings.data_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_text()
    assert await _read(settings) == (REFRESH, ACCESS)
    assert key_file.read_text() == first


async def test_a_group_readable_key_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    await _save(settings)
    key_file = settings.data_dir / "secret_key"
    key_file.chmod(0o644)
    with pytest.raises(SecretKeyError) as refused:
        open_secret_box(settings)
    assert f"chmod 600 {key_file}" in str(refused.value) and "\n" not in str(refused.value)


async def test_a_symlinked_key_file_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    settings.data_dir.mkdir(parents=True)
    elsewhere = tmp_path / "planted"
    elsewhere.write_text(Fernet.generate_key().decode())
    elsewhere.chmod(0o600)
    os.symlink(elsewhere, settings.data_dir / "secret_key")
    with pytest.raises(SecretKeyError, match="symbolic link"):
        open_secret_box(settings)


async def test_plaintext_rows_of_an_older_version_are_encrypted_at_start_up(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    database = await Database.open(settings.database_path)
    await database.close()
    with sqlite3.connect(settings.database_path) as conn:
        conn.execute(
            "INSERT INTO zoom_grants (professor_id, user_id, email, refresh_token, access_token, access_expires_at, "
            "created_at, updated_at) VALUES ('admin', 'u1', 'ada@example.edu', ?, ?, 1e10, 0, 0)",
            (REFRESH, ACCESS),
        )
    assert REFRESH in _file_text(settings)
    assert await _read(settings) == (REFRESH, ACCESS)
    assert REFRESH not in _file_text(settings) and ACCESS not in _file_text(settings)


async def test_keys_rotate_new_first_then_the_old_one_is_dropped(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    await _save(_settings(tmp_path, old))
    before = _rows(_settings(tmp_path, old))
    assert await _read(_settings(tmp_path, f"{new},{old}")) == (REFRESH, ACCESS)
    after = _rows(_settings(tmp_path, new))
    assert after != before  # re-encrypted with the new key at start-up
    assert await _read(_settings(tmp_path, new)) == (REFRESH, ACCESS)


async def test_a_wrong_key_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    await _save(_settings(tmp_path, Fernet.generate_key().decode()))
    with pytest.raises(SecretKeyError) as refused:
        await _read(_settings(tmp_path, Fernet.generate_key().decode()))
    message = str(refused.value)
    assert "\n" not in message and "AVATARFARM_SECRET_KEY" in message and "new key first" in message


async def test_a_malformed_key_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyError, match="not a Fernet key"):
        open_secret_box(_settings(tmp_path, "not-a-key"))
