"""Webhook settings: the comma list of receivers, the whsec_ secret (validated, or generated once under
DATA_DIR with mode 0600), and one-line errors for bad values."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from farm.settings import SettingsError, load_settings
from farm.webhooks.secret import ensure_webhook_secret, new_secret


def test_receivers_are_a_comma_list_without_duplicates(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path, webhook_urls=" https://a.example/h , http://127.0.0.1:9/h,https://a.example/h"
    )
    assert settings.webhook_targets == ("https://a.example/h", "http://127.0.0.1:9/h")
    assert load_settings(data_dir=tmp_path).webhook_targets == ()


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("webhook_urls", "ftp://a.example/h", "AVATARFARM_WEBHOOK_URLS"),
        ("webhook_secret", "not-a-secret", "AVATARFARM_WEBHOOK_SECRET must be whsec_"),
        ("webhook_secret", "whsec_c2hvcnQ=", "AVATARFARM_WEBHOOK_SECRET must be whsec_"),
        ("webhook_retry_budget_seconds", "0", "AVATARFARM_WEBHOOK_RETRY_BUDGET_SECONDS"),
    ],
)
def test_bad_webhook_settings_are_named(tmp_path: Path, field: str, value: str, words: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(data_dir=tmp_path, **{field: value})
    assert words in str(raised.value)
    assert value not in str(raised.value) or field != "webhook_secret"


def test_the_secret_is_generated_once_with_mode_0600_and_then_reused(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "var")
    first = ensure_webhook_secret(settings)
    assert first.generated and first.value.startswith("whsec_")
    Webhook(first.value)  # the package accepts it
    path = Path(first.source)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = ensure_webhook_secret(settings)
    assert (again.value, again.generated) == (first.value, False)


def test_a_configured_secret_wins_and_is_not_written(tmp_path: Path) -> None:
    secret = new_secret()
    settings = load_settings(data_dir=tmp_path / "var", webhook_secret=secret)
    found = ensure_webhook_secret(settings)
    assert (found.value, found.generated, found.source) == (secret, False, "AVATARFARM_WEBHOOK_SECRET")
    assert not (tmp_path / "var").exists()
