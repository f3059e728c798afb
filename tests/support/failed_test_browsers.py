"""When a test fails, the browsers this worker's farm launched and the test left running are killed once its
teardown is over. A test cut short by pytest's timeout never unwinds its farm (the timeout breaks into the event
loop), so its bots ran on, a quarter of a core each, for the rest of the worker's run: a fresh-clone run had one
test time out and then seven more fail, slowed down by what it left behind."""

from __future__ import annotations

import sys
from collections.abc import Generator
from typing import Any

import pytest

from farm.browsers.orphans import Owner, kill_browsers_of

_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    if outcome.get_result().failed:
        item.stash[_FAILED] = True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, Any, None]:
    yield
    if item.stash.get(_FAILED, False):
        killed = kill_browsers_of(Owner.me())
        if killed:
            print(f"{item.nodeid} failed and left {len(killed)} browser(s) running: killed", file=sys.stderr)
