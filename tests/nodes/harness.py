"""Browser nodes as separate processes (`avatarfarm node`), each on its own loopback address (127.0.0.2, .3, …)
so nothing can assume 127.0.0.1; each in its own process group so a test can SIGKILL a whole node."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fakes.dying_with_parent import dying_with_this_process
from farm.browsers.orphans import Owner, browsers_of, kill_browsers_of

NODE_TOKEN = "nodes-test-token-0123456789"
START_SECONDS = 30.0


def free_port_on(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class NodeProcess:
    """One `avatarfarm node`; start() and stop() may be repeated on the same address."""

    host: str
    port: int
    token: str = NODE_TOKEN
    max_bots: int | None = 2
    env: dict[str, str] = field(default_factory=dict)  # AVATARFARM_* settings of the node (its egress list)
    process: subprocess.Popen[bytes] | None = None
    owners: list[Owner] = field(default_factory=list)  # each node process started, by pid and start time

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "api.cli", "node", "--host", self.host, "--port", str(self.port)]
        command += ["--token", self.token, "--log-level", "warning"]
        if self.max_bots is not None:
            command += ["--max-bots", str(self.max_bots)]
        # A node outlives no test run, even one killed before its clean-up.
        self.process = subprocess.Popen(
            dying_with_this_process(command, signal.SIGTERM),
            stdout=subprocess.PIPE,
            start_new_session=True,
            env={**os.environ, **self.env},
        )
        self.owners.append(Owner.of(self.process.pid))
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_SECONDS
        line = b""
        while time.monotonic() < deadline and b"listening" not in line:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                break
        assert b"listening" in line, f"node on {self.url} did not start (exit {self.process.poll()})"

    def browsers(self) -> list[int]:
        return [pid for owner in self.owners for pid in browsers_of(owner)]

    def kill(self) -> None:
        """SIGKILL the node's whole process group, as a machine that dies would."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(20)
        self.process = None
        return code

    def clean_up(self) -> None:
        if self.process is not None:
            self.kill()
        for owner in self.owners:  # a killed node's Chromium exits with its pipe; never leave one behind
            kill_browsers_of(owner)


@contextlib.contextmanager
def browser_nodes(count: int, *, start: bool = True, **options: Any) -> Iterator[list[NodeProcess]]:
    nodes = []
    for index in range(count):
        host = f"127.0.0.{index + 2}"
        nodes.append(NodeProcess(host, free_port_on(host), **options))
    try:
        if start:
            for node in nodes:
                node.start()
        yield nodes
    finally:
        for node in nodes:
            node.clean_up()


def farm_node_settings(nodes: list[NodeProcess], **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "browser_nodes": ",".join(node.url for node in nodes),
        "browser_node_token": NODE_TOKEN,
        "retry_budget": 0,  # any failure counted against a room fails it: node losses must not count
    }
    values.update(overrides)
    return values
