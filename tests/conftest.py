"""Fixtures shared by every test: pytest-playwright launches the same Chromium, with the same flags, as the farm."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browsers import launch_options


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright hook: use the machine's Chromium and avatarfarm's flags."""
    return {**browser_type_launch_args, **launch_options()}


pytest_plugins = [
    "tests.support.worker_crashes",
    "tests.support.failure_logs",
    "tests.support.failed_test_browsers",
    "tests.support.heavy_files",
]
