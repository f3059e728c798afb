"""The suite's heaviest files run one after another, never two at once. Each runs several bot browsers beside
processes of its own (three browser nodes; a manager process under a failure campaign; the demo with its
students), and on the 2 cores CI has, two of them together with a third worker's farm left every process short
of CPU: farms whose event loops fell tens of seconds behind (a test's request to its own farm's API timed out
after 30 s). Under `--dist loadfile` (`make test`), they are one unit of work, which one worker runs in turn;
every other file stays a unit of its own (its tests share module fixtures).

The unit is made in the scheduler, not with `xdist_group` markers: pytest 9.2 computes a test's id afresh, so
the group suffix pytest-xdist 3.8 writes into it under `--dist loadgroup` never reaches the scheduler."""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadFileScheduling

HEAVY_FILES = frozenset(
    {
        "tests/nodes/test_farm_on_nodes.py",
        "tests/chaos/test_failure_campaign.py",
        "tests/cli/test_demo.py",
    }
)
HEAVY_UNIT = "heavy files"


class HeavyFilesInTurn(LoadFileScheduling):
    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return HEAVY_UNIT if path in HEAVY_FILES else path


@pytest.hookimpl(tryfirst=True)  # before xdist's own choice
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadFileScheduling | None:
    return HeavyFilesInTurn(config, log) if config.getvalue("dist") == "loadfile" else None
