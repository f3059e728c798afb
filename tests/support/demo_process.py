"""`avatarfarm demo` as a newcomer runs it, in a process of its own: started in its own process group (as in a
terminal: what is left of it is found by group) and followed line by line."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


def demo_env(**settings: str) -> dict[str, str]:
    """This environment without any AVATARFARM_ setting, then `settings` as AVATARFARM_<NAME>."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARFARM_")}
    env.update({f"AVATARFARM_{name.upper()}": value for name, value in settings.items()})
    return env


async def start_demo(
    data_dir: Path, ports: list[int], rooms: int, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """`avatarfarm demo --rooms N` on `ports` (farm, fake Zoom, fake LiveAvatar); its output on stdout."""
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "api.cli", "demo", "--rooms", str(rooms), "--data-dir", str(data_dir)],
        *["--port", str(ports[0]), "--zoom-port", str(ports[1]), "--liveavatar-port", str(ports[2])],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env if env is not None else demo_env(),
        start_new_session=True,
    )
    assert process.stdout is not None
    return process


async def read_until(process: asyncio.subprocess.Process, wanted: str, within: float) -> str:
    """The demo's output up to and including the line that holds `wanted`; fails if it exits first."""
    assert process.stdout is not None
    output = ""
    async with asyncio.timeout(within):
        while wanted not in output:
            raw = await process.stdout.readline()
            assert raw, "the demo exited early:\n" + output
            output += raw.decode(errors="replace")
    return output
