"""No Python runs between fork and exec in the children the fakes start (espeak-ng, livekit-server).

Python code run there (uvloop's spawn runs the interpreter's after-fork code in every child, uvloop issue #749;
so does `preexec_fn`) can deadlock in a process whose native threads enter Python, as the LiveKit SDK's do: the
fake LiveAvatar froze in the demo that way. The test runs the real `avatarfarm fake-liveavatar` with an after-fork
hook that leaves a mark in a file, makes it start its LiveKit server and speak (espeak-ng), and finds no mark.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest

from fakes.liveavatar.livekit_server import find_binary
from tests.fakes_liveavatar.room_client import room_client
from tests.support.ports import free_port

API_KEY = "fork-key"
WAYNE = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"

# The fake, as `avatarfarm fake-liveavatar` runs it, with a hook Python calls in a child after fork() whenever it
# runs Python code there.
LAUNCH = """
import os, sys
mark = sys.argv.pop(1)
os.register_at_fork(after_in_child=lambda: os.write(os.open(mark, os.O_WRONLY | os.O_CREAT | os.O_APPEND), b"x"))
from api.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(find_binary() is None, reason="needs livekit-server (make setup builds it)")
async def test_the_fake_liveavatar_runs_no_python_in_the_children_it_starts(tmp_path: Path) -> None:
    mark = tmp_path / "python-ran-after-fork"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "fake.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-c", LAUNCH, str(mark), "fake-liveavatar", "--port", str(port), "--api-key", API_KEY],
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=base, headers={"X-API-KEY": API_KEY}, timeout=10) as http:
            for _ in range(300):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            token = await http.post("/v1/sessions/token", json={"avatar_id": WAYNE, "avatar_persona": {}})
            session_token = token.json()["data"]["session_token"]
            # Starting a session starts the LiveKit server (a child); speaking runs espeak-ng (another).
            started = await http.post("/v1/sessions/start", headers={"Authorization": f"Bearer {session_token}"})
            assert started.status_code == 201, started.text
            async with room_client(started.json()["data"]) as client:
                for sentence in ("One sentence to say.", "And another one to say."):
                    await client.command("avatar.speak_text", text=sentence)
                    await client.wait_event("avatar.speak_ended", count=1 if sentence.startswith("One") else 2)
                assert [event["text"] for event in client.events("avatar.transcription")] == [
                    "One sentence to say.",
                    "And another one to say.",
                ]
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
        log.close()
    assert not mark.exists(), "Python code ran in a child of the fake between fork and exec"
