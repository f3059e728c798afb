"""No Python runs between fork and exec in the children the fakes start (espeak-ng, livekit-server), nor in those
`avatarfarm serve` starts (Playwright's driver).

Python code run there (uvloop's spawn runs the interpreter's after-fork code in every child, uvloop issue #749;
so does `preexec_fn`) can deadlock in a process whose native threads enter Python, as the LiveKit SDK's do: the
fake LiveAvatar froze in the demo that way. The test runs the real `avatarfarm fake-liveavatar` with an after-fork
hook that leaves a mark in a file, makes it start its LiveKit server and speak (espeak-ng), and finds no mark.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import os
import sys
from pathlib import Path

import httpx
import pytest

from fakes.liveavatar.config import DEFAULT_ADMIN_TOKEN
from fakes.liveavatar.livekit_server import find_binary
from tests.fakes_liveavatar.room_client import room_client
from tests.support import process_tree
from tests.support.polling import until
from tests.support.ports import free_port
from tests.support.source_files import PRODUCT, ROOT, calls, python_files

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
            session_id = started.json()["data"]["session_id"]
            async with room_client(started.json()["data"]) as client:
                # The agent takes commands once LiveKit has told it the client is there (within about 3 s, later on
                # a loaded machine); the SDK waits for that too.
                admin = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}

                async def agent_sees_the_client() -> bool:
                    sessions = (await http.get("/admin/sessions", headers=admin)).json()["data"]
                    ours = next(s for s in sessions if s["id"] == session_id)
                    return bool(ours["livekit"] and ours["livekit"]["client_present"])

                await until(agent_sees_the_client, 30, "the fake's agent sees the client")
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


async def test_avatarfarm_serve_runs_no_python_in_the_children_it_starts(tmp_path: Path) -> None:
    """The farm starts Playwright's driver (a child) as it starts up."""
    mark = tmp_path / "python-ran-after-fork"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARFARM_")}
    args = ["serve", "--port", str(port), "--data-dir", str(tmp_path / "var"), "--log-level", "warning"]
    log = (tmp_path / "serve.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LAUNCH, str(mark), *args, stdout=log, stderr=asyncio.subprocess.STDOUT, env=env
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            for _ in range(300):
                if process.returncode is not None:
                    break
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        drivers = [pid for pid in process_tree.tree(process.pid) if "run-driver" in " ".join(process_tree.argv(pid))]
        assert drivers, (tmp_path / "serve.log").read_text()  # Playwright's driver runs: the spawn happened
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()
        log.close()
    assert not mark.exists(), "Python code ran in a child of avatarfarm serve between fork and exec"


def test_no_code_here_runs_python_between_fork_and_exec() -> None:
    """`preexec_fn` (and a bare `os.fork`) run Python in the child of a process whose native threads may hold
    locks. The node tests' harness set PR_SET_PDEATHSIG that way: once in a fresh-clone run, the child waited for
    ever on a lock, and its `Popen` hung the pytest worker past its timeout. fakes/dying_with_parent.py does it
    after exec instead."""
    found = []
    for path in python_files(*PRODUCT, "fakes", "tests"):
        for call in calls(path.read_text(encoding="utf-8")):
            forks = isinstance(call.func, ast.Attribute) and call.func.attr == "fork"
            if forks or any(keyword.arg == "preexec_fn" for keyword in call.keywords):
                found.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert found == []
