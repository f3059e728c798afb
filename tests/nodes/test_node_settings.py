"""Settings and the command line for browser nodes: node addresses, the token, the loopback refusal, one
clear line for each mistake."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from api.cli import main
from farm.settings import DEFAULT_NODE_MAX_BOTS, SettingsError, load_settings

TOKEN = "a-node-token-0123456789-5f0c1d2e3a4b"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AVATARFARM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_without_nodes_browsers_stay_beside_the_manager() -> None:
    settings = load_settings()
    assert settings.browser_node_urls == []
    assert settings.node_max_bots == DEFAULT_NODE_MAX_BOTS


def test_nodes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARFARM_BROWSER_NODES", "ws://10.0.0.5:3000/, dns+ws://browser-nodes:3000/")
    monkeypatch.setenv("AVATARFARM_BROWSER_NODE_TOKEN", TOKEN)
    monkeypatch.setenv("AVATARFARM_NODE_MAX_BOTS", "5")
    monkeypatch.setenv("AVATARFARM_PUBLIC_BASE_URL", "http://avatarfarm.farm.svc:8800")
    settings = load_settings()
    assert settings.browser_node_urls == ["ws://10.0.0.5:3000/", "dns+ws://browser-nodes:3000/"]
    assert settings.node_max_bots == 5


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"browser_nodes": "ws://10.0.0.5:3000/", "browser_node_token": TOKEN},
            "AVATARFARM_PUBLIC_BASE_URL: browsers on 10.0.0.5 cannot load bot pages from http://127.0.0.1:8800 "
            "(a loopback address); set it to an address the browser nodes can reach",
        ),
        (
            {
                "browser_nodes": "ws://127.0.0.2:3000/,dns+ws://nodes:3000/",
                "browser_node_token": TOKEN,
                "public_base_url": "http://localhost:8800",
            },
            "browsers on nodes cannot load bot pages",
        ),
        (
            {"browser_nodes": "ws://10.0.0.5:3000/", "public_base_url": "http://10.0.0.1:8800"},
            "AVATARFARM_BROWSER_NODE_TOKEN is required when AVATARFARM_BROWSER_NODES is set",
        ),
        (
            {"browser_nodes": "ws://10.0.0.5:3000/", "browser_node_token": "short-node-token"},
            "AVATARFARM_BROWSER_NODE_TOKEN is too weak",
        ),
        (
            {"browser_nodes": "http://10.0.0.5:3000/", "browser_node_token": TOKEN},
            "AVATARFARM_BROWSER_NODES: 'http://10.0.0.5:3000/' is not ws://HOST:PORT/ or dns+ws://NAME:PORT/",
        ),
        ({"browser_nodes": "ws://10.0.0.5/", "browser_node_token": TOKEN}, "is not ws://HOST:PORT/"),
        ({"node_max_bots": 0}, "AVATARFARM_NODE_MAX_BOTS: must be at least 1"),
    ],
)
def test_mistakes_are_one_clear_line(values: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(**values)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_nodes_all_on_loopback_may_use_a_loopback_page_address() -> None:
    settings = load_settings(browser_nodes="ws://127.0.0.2:3000/,ws://[::1]:3001/", browser_node_token=TOKEN)
    assert settings.base_url == "http://127.0.0.1:8800"


def test_the_node_command_needs_a_strong_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["node", "--port", "3999"]) == 2
    assert capsys.readouterr().err.strip() == (
        "avatarfarm: a browser node needs a token (--token or AVATARFARM_BROWSER_NODE_TOKEN)"
    )
    assert main(["node", "--port", "3999", "--token", "a-node-token-0123"]) == 2
    assert capsys.readouterr().err.strip().startswith("avatarfarm: the browser node's token is too weak")
    assert main(["node", "--token", TOKEN, "--max-bots", "0"]) == 2
    assert "--max-bots must be at least 1" in capsys.readouterr().err
