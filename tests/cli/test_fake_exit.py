"""A fake's exit (fakes/serving.py): once its service has stopped, the interpreter's exit runs no garbage
collection over what the service built (on a loaded machine that took most of the 3 s the demo gives a fake)."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable

import httpx

from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.polling import until
from tests.support.ports import free_port

# Served like a fake; at exit, it says how many objects the exit's collections leave alone.
SERVED = """
import atexit, gc, sys
from starlette.applications import Starlette
from fakes.serving import serve
garbage = [[object()] for _ in range(1000)]  # what a service builds: objects the collector would traverse
atexit.register(lambda: print("frozen", gc.get_freeze_count(), flush=True))
print("serving", flush=True)
sys.exit(serve(Starlette(), host="127.0.0.1", port=int(sys.argv[1]), log_level="error"))
"""


async def test_a_stopped_fake_leaves_its_objects_out_of_the_exits_collections() -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVED, str(port), stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    try:
        assert (await asyncio.wait_for(process.stdout.readline(), 60)).strip() == b"serving"
        await until(_answers(port), 60, "the served app to answer")  # uvicorn's signal handlers are in place
        process.send_signal(signal.SIGTERM)
        output = (await asyncio.wait_for(process.stdout.read(), 60)).decode()
        assert await asyncio.wait_for(process.wait(), 60) == 0
    finally:
        if process.returncode is None:
            process.kill()
    frozen = int(output.split("frozen", 1)[1].split()[0])
    assert frozen > 1000, output


def _answers(port: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as client:
                await client.get(f"http://127.0.0.1:{port}/")
        except httpx.HTTPError:
            return False
        return True

    return check
