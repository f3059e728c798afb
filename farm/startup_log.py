"""Each step of a manager's start in its log, with how long it took: a start that hangs shows where."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

log = logging.getLogger("avatarfarm.startup")


@contextlib.contextmanager
def startup_step(what: str) -> Iterator[None]:
    log.info("starting: %s…", what)
    started = time.monotonic()
    yield
    log.info("started: %s (%.1f s)", what, time.monotonic() - started)
