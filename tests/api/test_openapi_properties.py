"""Property-based tests of the REST API: schemathesis reads the app's /openapi.json, generates requests (examples,
coverage, fuzzing, and stateful sequences that follow the OpenAPI links from POST /api/sessions to its session
and rooms) and runs every check it has. The API must answer with no server error and exactly as described.

The app runs in-process on a loopback port with its default (queueing) farm. schemathesis runs as its own
process (its CLI), so the app's event loop keeps serving while it works.

* Most of the API runs with LiveAvatar out (a stub answers /healthz, so /readyz is ready, and nothing else):
  POST /api/sessions then skips the avatar check (the outage rule), so generated sessions are stored and the
  stateful phase reaches their rooms. (With LiveAvatar there,
  a generated avatar id is unknown to the account: a 422 for a body the schema cannot call wrong.)
* The /api/liveavatar operations run against the fake LiveAvatar (unreachable, they rightly answer 503).
* GET /api/events is left out: it is an endless event stream, which a request/response tool can only time out
  on; tests/api/test_events_stream.py covers it.

The seed is fixed, so a run is repeatable; SCHEMATHESIS_SEED and SCHEMATHESIS_MAX_EXAMPLES change it. One rule
JSON Schema cannot say: room names must differ (ignoring case) — the schema has uniqueItems, but other seeds
can generate two different rooms with one name, which the API rightly refuses (ST202).
"""

from __future__ import annotations

import asyncio
import os
import re
import resource
import sys
import time
from pathlib import Path

import pytest

from api.app import create_app
from api.sessions_routes import SESSION_LINKS
from tests.api.conftest import TOKEN, make_settings
from tests.farm.harness import LA_API_KEY, liveavatar_server
from tests.support.healthz_stub import answering_healthz
from tests.support.queued_farm import QueuedFarm
from tests.support.servers import serve_app

pytestmark = pytest.mark.timeout(600)

SEED = os.environ.get("SCHEMATHESIS_SEED", "20261130")
# Most cases come from the coverage phase (one per boundary of the schema), which does not depend on this.
MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5")
SCHEMATHESIS = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).with_name("schemathesis.toml")


async def schemathesis(base_url: str, workdir: Path, *selection: str) -> tuple[int, str, str]:
    """Run `st run` with every check on the app's description; its exit status, its output, time taken."""
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {TOKEN}",
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        SEED,
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
        "--output-truncate",
        "false",
        *selection,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1", "HOME": str(workdir)}
    started, cpu = time.monotonic(), _children_cpu()
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    took = f"{time.monotonic() - started:.1f} s ({_children_cpu() - cpu:.1f} s of CPU for schemathesis)"
    return process.returncode or 0, output.decode(errors="replace"), took


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _summary(output: str) -> str:
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if "SUMMARY" in line), max(0, len(lines) - 40))
    return "\n".join(lines[start:])


async def test_the_api_answers_as_its_openapi_description_says(tmp_path: Path) -> None:
    # The simulated services answer /healthz (so /readyz is ready) and nothing else: to the avatar check,
    # LiveAvatar is out.
    async with answering_healthz() as stub:
        settings = make_settings(tmp_path / "app", zoom_api_base=stub, liveavatar_api_base=stub)
        async with serve_app(
            create_app(settings, farm_factory=lambda repository, *_: QueuedFarm(repository))
        ) as server:
            status, output, took = await schemathesis(
                server.base_url, tmp_path, "--exclude-path-regex", "^/api/(events|liveavatar/)"
            )
    print(f"schemathesis (API, LiveAvatar out): {took}\n{_summary(output)}")
    assert status == 0, output
    # The stateful phase followed the links from POST /api/sessions to the session and its rooms.
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", output)
    assert links is not None, output
    assert int(links.group(2)) >= len(SESSION_LINKS) and int(links.group(1)) >= 1, links.group(0)


async def test_the_liveavatar_lists_answer_as_described(tmp_path: Path) -> None:
    async with liveavatar_server() as (la_url, _):
        settings = make_settings(tmp_path / "app", liveavatar_api_base=la_url, liveavatar_api_key=LA_API_KEY)
        async with serve_app(
            create_app(settings, farm_factory=lambda repository, *_: QueuedFarm(repository))
        ) as server:
            status, output, took = await schemathesis(
                server.base_url,
                tmp_path,
                "--include-path-regex",
                "^/api/liveavatar/",
                "--phases",
                "examples,coverage,fuzzing",
            )
    print(f"schemathesis (/api/liveavatar, fake LiveAvatar): {took}\n{_summary(output)}")
    assert status == 0, output
