"""`avatarfarm demo` brings a simulated class live, prints where to look and how to join, and stops cleanly
(farm, bots, avatars and both fakes) on Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from tests.support.ports import free_port

pytestmark = pytest.mark.browser


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def test_the_demo_goes_live_then_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    ports = [free_port() for _ in range(3)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARFARM_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        "demo",
        "--rooms",
        "2",
        "--port",
        str(ports[0]),
        "--zoom-port",
        str(ports[1]),
        "--liveavatar-port",
        str(ports[2]),
        "--data-dir",
        str(tmp_path / "demo"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(120):
            while not any("Everything is ready" in line for line in lines):
                raw = await process.stdout.readline()
                assert raw, "the demo exited early:\n" + "".join(lines)
                lines.append(raw.decode())
        output = "".join(lines)
        assert "2/2 bots ready in their rooms" in output
        assert f"http://127.0.0.1:{ports[0]}/dashboard" in output
        token = (tmp_path / "demo" / "api_token").read_text().strip()
        assert "API token:  kept in" in output and token not in output  # standard output is a pipe here
        assert output.count(f"http://127.0.0.1:{ports[1]}/join/") == 2
        assert all(_listening(port) for port in ports)
        process.send_signal(signal.SIGINT)
        rest = await asyncio.wait_for(process.stdout.read(), 30)
        assert await asyncio.wait_for(process.wait(), 30) == 0
        assert "Demo stopped." in rest.decode()
        assert not any(_listening(port) for port in ports)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_taken_port_stops_the_demo_before_anything_starts(tmp_path: Path) -> None:
    zoom_port, liveavatar_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARFARM_")}
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        taken = holder.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "api.cli",
            "demo",
            "--port",
            str(taken),
            "--zoom-port",
            str(zoom_port),
            "--liveavatar-port",
            str(liveavatar_port),
            "--data-dir",
            str(tmp_path / "demo"),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert f"127.0.0.1:{taken}" in err.decode() and "--port" in err.decode()
    assert not _listening(zoom_port) and not _listening(liveavatar_port)  # no fake was left running
    assert b"Traceback" not in out + err
