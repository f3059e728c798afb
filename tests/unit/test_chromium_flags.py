"""Chromium's sandbox and environment: --no-sandbox only for root, and only allow-listed variables."""

from __future__ import annotations

import os

from farm.browsers.browser_node import LocalBrowserNode
from farm.browsers.chromium import base_args, browser_env, sandbox_args
from farm.browsers.node_server import BrowserNodeServer, NodeConfig


def test_the_renderer_sandbox_is_turned_off_for_root_only() -> None:
    assert sandbox_args(euid=0) == ["--no-sandbox"]
    assert sandbox_args(euid=10001) == []
    assert "--no-sandbox" in base_args(euid=0)
    assert "--no-sandbox" not in base_args(euid=10001)
    assert "--disable-dev-shm-usage" in base_args(euid=10001)


def test_this_machines_bots_get_the_flag_its_real_user_calls_for() -> None:
    root = os.geteuid() == 0
    options = LocalBrowserNode().launch_options()
    assert ("--no-sandbox" in options["args"]) == root
    # Playwright adds --no-sandbox itself unless its chromiumSandbox option says otherwise.
    assert options["chromium_sandbox"] is not root
    node_options = BrowserNodeServer(NodeConfig("127.0.0.1", 0, "t" * 16)).launch_options()
    node_args = node_options["args"]
    assert isinstance(node_args, list)
    assert ("--no-sandbox" in node_args) == root
    assert node_options["chromiumSandbox"] is not root


def test_the_browser_environment_is_an_allow_list() -> None:
    given = {
        "PATH": "/usr/bin",
        "HOME": "/home/avatarfarm",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "TMPDIR": "/tmp",
        "XDG_RUNTIME_DIR": "/run/user/10001",
        "FONTCONFIG_PATH": "/etc/fonts",
        "AVATARFARM_LIVEAVATAR_API_KEY": "secret",
        "AVATARFARM_ZOOM_SDK_SECRET": "secret",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "KUBERNETES_SERVICE_HOST": "10.0.0.1",
        "LD_PRELOAD": "/tmp/evil.so",
    }
    assert browser_env(given) == {
        "PATH": "/usr/bin",
        "HOME": "/home/avatarfarm",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "TMPDIR": "/tmp",
        "XDG_RUNTIME_DIR": "/run/user/10001",
        "FONTCONFIG_PATH": "/etc/fonts",
    }
    assert LocalBrowserNode().launch_options()["env"] == browser_env()
