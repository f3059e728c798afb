"""Bot browsers as an unprivileged user with Chromium's sandbox on, as they run in production (the browser-node
image's user 10001), when the benchmark itself runs as root (as here).

The farm cannot simply run as another user on this machine: its Python lives under /root, which only root may
enter. So the farm stays root and each bot's Chromium drops to BENCH_UID (65534, `nobody`) as it starts: the
launch goes through a small wrapper script (Playwright starts it in Chromium's place, with the same arguments
and pipes) that hands Playwright's fresh profile directory to that user and `exec`s `setpriv` into Chromium. The
process is the same (exec, not fork), so the owner marker, the pipes Playwright drives it by and the process tree
the benchmark measures are unchanged; Playwright is told the sandbox is wanted (no `--no-sandbox`).

`sandbox_in_force(pids)` checks it, from /proc: every renderer runs under a seccomp filter as that user.
"""

from __future__ import annotations

import os
import pwd
import shlex
from pathlib import Path
from typing import Any

from farm.browsers.browser_node import LocalBrowserNode
from farm.browsers.chromium import NO_SANDBOX_ARGS, chromium_executable
from tests.bench.shared_browser import SharedBrowserNode
from tests.support.process_tree import process_kind

BENCH_UID = 65534
HOME = Path("/tmp/avatarfarm-bench-home")


def needed() -> bool:
    """Whether bot browsers must drop to BENCH_UID (only when this process is root)."""
    return os.geteuid() == 0


def wrapper(uid: int = BENCH_UID) -> Path:
    """The launcher script for `uid` (written once, beside its home directory)."""
    HOME.mkdir(mode=0o755, exist_ok=True)
    os.chown(HOME, uid, uid)
    real = chromium_executable() or "chromium"
    script = HOME.parent / f"avatarfarm-bench-chromium-as-{uid}"
    script.write_text(
        "#!/bin/sh\n"
        "# Written by tests/bench/unprivileged.py: Chromium as an unprivileged user, with its sandbox.\n"
        'for arg in "$@"; do\n'
        '  case "$arg" in --user-data-dir=*) chown -R ' + f"{uid}:{uid}" + ' "${arg#--user-data-dir=}";; esac\n'
        "done\n"
        f"export HOME={shlex.quote(str(HOME))}\n"
        f'exec setpriv --reuid={uid} --regid={uid} --clear-groups -- {shlex.quote(real)} "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def as_user(options: dict[str, Any], uid: int = BENCH_UID) -> dict[str, Any]:
    """Launch options that start Chromium as `uid` with its sandbox on."""
    return {
        **options,
        "executable_path": str(wrapper(uid)),
        "chromium_sandbox": True,
        "args": [a for a in options.get("args", []) if a not in NO_SANDBOX_ARGS],
    }


class UnprivilegedNode(LocalBrowserNode):
    """LocalBrowserNode whose browsers run as BENCH_UID with the sandbox."""

    def launch_options(self) -> dict[str, Any]:
        return as_user(super().launch_options())


class UnprivilegedSharedNode(SharedBrowserNode):
    """SharedBrowserNode whose one browser runs as BENCH_UID with the sandbox."""

    def launch_options(self) -> dict[str, Any]:
        return as_user(super().launch_options())


def user_description(as_root: bool) -> str:
    """Who the bot browsers ran as, for results.json."""
    if as_root:
        return "root (uid 0), Chromium sandbox off (--no-sandbox)"
    uid = BENCH_UID if needed() else os.geteuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = "?"
    return f"{name} (uid {uid}), Chromium sandbox on"


def _status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def sandbox_in_force(pids: list[int], uid: int) -> bool:
    """Every renderer among `pids` runs as `uid` under a seccomp filter (mode 2), and there is at least one."""
    renderers = 0
    for pid in pids:
        try:
            if process_kind(pid) != "renderer":
                continue
            status = _status(pid)
        except OSError:
            continue
        renderers += 1
        if status.get("Seccomp") != "2" or status.get("Uid", "").split()[:1] != [str(uid)]:
            return False
    return renderers > 0


def bench_node(name: str = "bench", *, as_root: bool = False, shared: bool = False, **options: Any) -> LocalBrowserNode:
    """The browser node a benchmark farm runs its bots on: as BENCH_UID with the sandbox when this process is
    root (unless `as_root`: an extra row), else as this user (who keeps the sandbox anyway)."""
    drop = needed() and not as_root
    if shared:
        return UnprivilegedSharedNode(name, **options) if drop else SharedBrowserNode(name, **options)
    return UnprivilegedNode(name, **options) if drop else LocalBrowserNode(name, **options)
