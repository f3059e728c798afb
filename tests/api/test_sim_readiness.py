"""In sim mode the server is ready only while the simulated Zoom and LiveAvatar answer: /readyz says which one
does not, in words, and turns ready once they do; `avatarfarm serve` says so in one line at start. Live
services are never probed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from api.app import create_app
from tests.api.conftest import TOKEN, RecordingFarm, make_settings
from tests.support.healthz_stub import answering_healthz
from tests.support.ports import bound_socket, free_port


async def _readyz(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/readyz", headers={"Authorization": f"Bearer {TOKEN}"})  # the token: why not ready


async def test_readyz_names_the_silent_simulated_services_until_they_answer_and_never_probes_live_ones(
    tmp_path: Path,
) -> None:
    zoom_sock, liveavatar_sock = bound_socket(), bound_socket()  # reserved, not listening yet: refused
    zoom = f"http://127.0.0.1:{zoom_sock.getsockname()[1]}"
    liveavatar = f"http://127.0.0.1:{liveavatar_sock.getsockname()[1]}"
    settings = make_settings(tmp_path, zoom_api_base=zoom, liveavatar_api_base=liveavatar)
    app = create_app(settings, farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await _readyz(client)
            assert response.status_code == 503
            assert response.json() == {
                "status": "not ready",
                "problems": [
                    f"the simulated Zoom at {zoom} and the simulated LiveAvatar at {liveavatar} do not answer: "
                    "start them with `avatarfarm fake-zoom` and `avatarfarm fake-liveavatar`, or run `avatarfarm demo`"
                ],
            }
            async with answering_healthz(zoom_sock):
                for _ in range(100):
                    problems = (await _readyz(client)).json().get("problems")
                    if problems and "Zoom" not in problems[0]:
                        break
                    await asyncio.sleep(0.1)
                assert problems == [
                    f"the simulated LiveAvatar at {liveavatar} does not answer: "
                    "start it with `avatarfarm fake-liveavatar`, or run `avatarfarm demo`"
                ]
                async with answering_healthz(liveavatar_sock):
                    for _ in range(100):
                        response = await _readyz(client)
                        if response.status_code == 200:
                            break
                        await asyncio.sleep(0.1)
                    assert response.status_code == 200 and response.json() == {"status": "ready"}
    # Live services are never probed: with the same settings live, nothing needs to answer.
    await _live_mode_is_ready_without_probing(tmp_path / "live")


async def _live_mode_is_ready_without_probing(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(
        tmp_path,
        zoom_mode="live",
        zoom_sdk_key="key",
        zoom_sdk_secret="secret-0123456789abcdef",
        zoom_api_base=nowhere,
        liveavatar_mode="live",
        liveavatar_api_key="la-key",
        liveavatar_api_base=nowhere,
    )
    app = create_app(settings, farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            response = await _readyz(client)
    assert response.status_code == 200, response.text


def test_serve_says_in_one_line_at_start_that_the_fakes_do_not_answer(tmp_path: Path) -> None:
    port, zoom_port, liveavatar_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARFARM_")}
    env |= {
        "AVATARFARM_PORT": str(port),
        "AVATARFARM_DATA_DIR": str(tmp_path / "var"),
        "AVATARFARM_API_TOKEN": "a-token-for-this-test-0123",
        "AVATARFARM_ZOOM_API_BASE": f"http://127.0.0.1:{zoom_port}",
        "AVATARFARM_LIVEAVATAR_API_BASE": f"http://127.0.0.1:{liveavatar_port}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(300):  # the check runs before the server answers: wait for it to answer
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    [line] = [line for line in stderr.splitlines(keepends=True) if "not ready" in line]
    assert line == (
        f"avatarfarm: not ready: the simulated Zoom at http://127.0.0.1:{zoom_port} and the simulated LiveAvatar "
        f"at http://127.0.0.1:{liveavatar_port} do not answer: start them with `avatarfarm fake-zoom` and "
        "`avatarfarm fake-liveavatar`, or run `avatarfarm demo` (/readyz says 503 until then)\n"
    )
