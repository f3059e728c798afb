"""Settings: the embedded default needs nothing; live mode needs its keys; errors name the variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from farm import settings as settings_module
from farm.settings import (
    LIVE_LIVEAVATAR_API_BASE,
    LIVE_ZOOM_API_BASE,
    SIM_LIVEAVATAR_API_BASE,
    SIM_ZOOM_API_BASE,
    SIM_ZOOM_SDK_KEY,
    Mode,
    SettingsError,
    default_max_bots,
    load_settings,
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AVATARFARM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_the_embedded_default_is_all_simulated_without_credentials() -> None:
    settings = load_settings()
    assert (settings.zoom_mode, settings.liveavatar_mode) == (Mode.sim, Mode.sim)
    assert settings.zoom_api_base == SIM_ZOOM_API_BASE
    assert settings.liveavatar_api_base == SIM_LIVEAVATAR_API_BASE
    assert settings.zoom_sdk_key == SIM_ZOOM_SDK_KEY
    assert settings.host == "127.0.0.1" and settings.port == 8800
    assert settings.base_url == "http://127.0.0.1:8800"
    assert settings.database_path == Path("var/avatarfarm.sqlite3")
    assert settings.api_token is None and settings.session_credit_budget is None
    assert settings.max_bots == default_max_bots() >= 1


def test_live_mode_with_keys_points_at_the_real_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARFARM_ZOOM_MODE", "live")
    monkeypatch.setenv("AVATARFARM_ZOOM_SDK_KEY", "key")
    monkeypatch.setenv("AVATARFARM_ZOOM_SDK_SECRET", "zs-7f3a9c")
    monkeypatch.setenv("AVATARFARM_LIVEAVATAR_MODE", "live")
    monkeypatch.setenv("AVATARFARM_LIVEAVATAR_API_KEY", "la-key")
    settings = load_settings()
    assert settings.zoom_api_base == LIVE_ZOOM_API_BASE
    assert settings.liveavatar_api_base == LIVE_LIVEAVATAR_API_BASE
    assert settings.zoom_sdk_secret is not None and settings.zoom_sdk_secret.get_secret_value() == "zs-7f3a9c"
    assert "zs-7f3a9c" not in repr(settings) and "la-key" not in repr(settings)


def test_public_base_url_and_trailing_slashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARFARM_PUBLIC_BASE_URL", "https://farm.example.edu/")
    monkeypatch.setenv("AVATARFARM_ZOOM_API_BASE", "http://127.0.0.1:9999/")
    settings = load_settings()
    assert settings.base_url == "https://farm.example.edu"
    assert settings.zoom_api_base == "http://127.0.0.1:9999"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("AVATARFARM_PORT", "http", "AVATARFARM_PORT: must be a whole number (got 'http')"),
        ("AVATARFARM_MAX_BOTS", "1001", "AVATARFARM_MAX_BOTS: must be at most 1000 (got '1001')"),
        ("AVATARFARM_SESSION_CREDIT_BUDGET", "lots", "AVATARFARM_SESSION_CREDIT_BUDGET: must be a number (got 'lots')"),
        ("AVATARFARM_ZOOM_MODE", "LIVE", "AVATARFARM_ZOOM_MODE: must be one of: sim or live (got 'LIVE')"),
        ("AVATARFARM_PUBLIC_BASE_URL", "farm.edu", "AVATARFARM_PUBLIC_BASE_URL must start with http:// or https://"),
        ("AVATARFARM_PORT", "10080", "AVATARFARM_PORT: browsers refuse to load pages from port 10080"),
        ("AVATARFARM_PUBLIC_BASE_URL", "http://farm.edu:6000", "AVATARFARM_PUBLIC_BASE_URL: browsers refuse"),
    ],
)
def test_errors_are_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)


def test_a_blocked_port_behind_a_public_url_on_another_is_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARFARM_PORT", "10080")  # browsers reach the farm through the public URL, not this port
    monkeypatch.setenv("AVATARFARM_PUBLIC_BASE_URL", "https://farm.example.edu")
    assert load_settings().base_url == "https://farm.example.edu"


def test_default_max_bots_follows_cores_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module.os, "cpu_count", lambda: 8)
    assert default_max_bots() <= 8 * settings_module.BOTS_PER_CORE
    monkeypatch.setattr(settings_module.os, "cpu_count", lambda: 1)
    assert default_max_bots() == settings_module.BOTS_PER_CORE
