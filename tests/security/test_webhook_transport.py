"""Webhooks carry students' names and words: a plain http:// receiver is refused at start-up (one line) unless
it is on loopback or the operator says the network is theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from farm.settings import SettingsError, load_settings


def test_a_plain_http_receiver_elsewhere_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(data_dir=tmp_path, webhook_urls="https://ok.example/h,http://lms.example.edu/hook")
    said = str(refused.value)
    assert said.startswith("AVATARFARM_WEBHOOK_URLS: lms.example.edu would get students' names and words")
    assert "AVATARFARM_WEBHOOK_ALLOW_HTTP=true" in said and "\n" not in said


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/h", "http://localhost/h", "http://[::1]:8080/h"])
def test_loopback_receivers_may_use_http(tmp_path: Path, url: str) -> None:
    assert load_settings(data_dir=tmp_path, webhook_urls=url).webhook_targets == (url,)


def test_an_operator_may_allow_http_on_their_own_network(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, webhook_urls="http://10.0.0.7/h", webhook_allow_http=True)
    assert settings.webhook_targets == ("http://10.0.0.7/h",)
