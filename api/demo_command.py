"""The `avatarfarm demo` command's options and entry point, apart from the demo itself (api/demo.py).

The CLI builds every command's parser at each start, so this module imports nothing heavy: the demo brings in the
whole API and farm (about a second of CPU), which `avatarfarm node`, `db` or a fake's start-up has no use for."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

HELP = "run a simulated class: fake Zoom, fake LiveAvatar and the farm, with N rooms going live (Ctrl-C stops)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rooms", type=int, default=3, help="breakout rooms, one avatar each (default 3)")
    parser.add_argument("--port", type=int, default=8800, help="the farm's port (default 8800)")
    parser.add_argument("--zoom-port", type=int, default=8801, help="the fake Zoom's port (default 8801)")
    parser.add_argument("--liveavatar-port", type=int, default=8802, help="the fake LiveAvatar's port (default 8802)")
    parser.add_argument("--data-dir", default=os.environ.get("AVATARFARM_DATA_DIR", "var/demo"), help="state directory")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for every room to go live")
    parser.add_argument("--exit-when-live", action="store_true", help="stop once every room is live (for scripts)")


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.rooms <= 20:
        print("avatarfarm: --rooms must be between 1 and 20", file=sys.stderr)
        return 2
    import httpx

    from api.demo import run_demo

    try:
        return asyncio.run(run_demo(args))
    except (RuntimeError, httpx.HTTPError) as exc:
        print(f"avatarfarm demo: {exc}", file=sys.stderr)
        return 1
