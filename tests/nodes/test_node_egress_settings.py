"""A browser node's egress allow-list: derived from the farm's own settings (page origin, modes, vendor bases),
replaced by NODE_EGRESS where given, one clear line for an entry that is not a host; and how entries match."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from api.cli import main
from farm.browsers.node_egress import EgressRuleError, allowed, parse_rule
from farm.browsers.node_settings import load_node_settings
from farm.settings import SettingsError

TOKEN = "a-node-token-0123456789-5f0c1d2e3a4b"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AVATARFARM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def _listed() -> list[str]:
    return [str(rule) for rule in load_node_settings().egress_rules()]


def test_in_sim_the_page_and_the_fakes_hosts() -> None:
    assert _listed() == ["127.0.0.1:8800", "127.0.0.1"]


def test_live_the_page_and_the_vendors_hosts_from_the_farms_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARFARM_PUBLIC_BASE_URL", "https://avatarfarm.example.edu/")
    monkeypatch.setenv("AVATARFARM_ZOOM_MODE", "live")
    monkeypatch.setenv("AVATARFARM_LIVEAVATAR_MODE", "live")
    monkeypatch.setenv("AVATARFARM_ZOOM_SDK_SECRET", "the node never needs this")  # nor refuses to start for it
    assert _listed() == ["avatarfarm.example.edu:443", "zoom.us", "*.zoom.us", "api.liveavatar.com", "*.livekit.cloud"]


def test_node_egress_replaces_the_vendors_part_never_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARFARM_PUBLIC_BASE_URL", "http://10.0.0.7:8800")
    monkeypatch.setenv("AVATARFARM_NODE_EGRESS", "meet.example.org:443, *.rtc.example.org, wss://[2001:db8::1]/")
    assert _listed() == ["10.0.0.7:8800", "meet.example.org:443", "*.rtc.example.org", "[2001:db8::1]:443"]


@pytest.mark.parametrize("entry", ["*", "a b", "host:0", "host:70000", "ftp://x/", "[::1", "*.", "http://x:99999/"])
def test_an_entry_that_is_not_a_host_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], entry: str
) -> None:
    monkeypatch.setenv("AVATARFARM_NODE_EGRESS", f"zoom.us,{entry}")
    with pytest.raises(SettingsError, match=r"^AVATARFARM_NODE_EGRESS: "):
        load_node_settings()
    assert main(["node", "--port", "3999", "--token", TOKEN]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("avatarfarm: configuration error: AVATARFARM_NODE_EGRESS: ")


@pytest.mark.parametrize(
    ("entry", "host", "port", "expected"),
    [
        ("zoom.us", "ZOOM.US.", 443, True),
        ("zoom.us", "evil-zoom.us", 443, False),
        ("*.zoom.us", "rwg.zoom.us", 443, True),
        ("*.zoom.us", "zoom.us", 443, False),
        ("*.zoom.us", "zoom.us.evil.example", 443, False),
        ("*.zoom.us", "evilzoom.us", 443, False),
        ("127.0.0.1:8800", "127.0.0.1", 8800, True),
        ("127.0.0.1:8800", "127.0.0.1", 8801, False),
        ("127.0.0.1:8800", "localhost", 8800, False),
        ("[::1]:8800", "0:0:0:0:0:0:0:1", 8800, True),
        ("https://api.liveavatar.com", "api.liveavatar.com", 443, True),
        ("https://api.liveavatar.com", "api.liveavatar.com", 80, False),
    ],
)
def test_how_entries_match(entry: str, host: str, port: int, expected: bool) -> None:
    assert allowed([parse_rule(entry)], host, port) is expected


def test_a_bad_entry_names_itself() -> None:
    with pytest.raises(EgressRuleError, match="'a b'"):
        parse_rule("a b")
