"""The settings the benchmark measures at: the product's defaults (farm/settings.py), which the test harness
changes for speed (tests/farm/harness.py sets quality `low` and AVATAR_START=on_join), with the bot browsers
as an unprivileged user with Chromium's sandbox (tests/bench/unprivileged.py). Other settings, and browsers as
root, are measured only as labelled extra rows (`python -m tests.bench --set avatar_quality=low --as-root`)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from farm.settings import Settings

MEASURED_SETTINGS = ("avatar_quality", "avatar_start")
AVATAR_FPS = 25  # the fake avatar's frame rate in every measure (its own default is 15)


def product_defaults() -> dict[str, Any]:
    """The product's own defaults of the settings the harness changes (read from the Settings model)."""
    fields = Settings.model_fields
    return {name: fields[name].default for name in MEASURED_SETTINGS}


@dataclass(frozen=True)
class Setup:
    """What a measure runs with: the farm's settings (the defaults, changed by `changes`) and who the bot
    browsers run as."""

    changes: dict[str, Any] = field(default_factory=dict)
    as_root: bool = False

    @property
    def settings(self) -> dict[str, Any]:
        return {**product_defaults(), **self.changes}

    @property
    def label(self) -> str:
        """'' at the defaults, else what differs, e.g. 'avatar_quality=low, root'."""
        defaults = product_defaults()
        parts = [f"{k}={v}" for k, v in sorted(self.settings.items()) if defaults.get(k) != v]
        return ", ".join([*parts, *(["root"] if self.as_root else [])])

    @property
    def waits_for_a_human(self) -> bool:
        return self.settings["avatar_start"] == "on_human"


def parse_setting(text: str) -> tuple[str, str]:
    """A command line's NAME=VALUE for one of the measured settings."""
    name, _, value = text.partition("=")
    if name not in MEASURED_SETTINGS or not value:
        raise argparse.ArgumentTypeError(f"NAME=VALUE with NAME one of {', '.join(MEASURED_SETTINGS)}")
    return name, value


def label(settings: dict[str, Any], as_root: bool = False) -> str:
    return Setup(settings, as_root).label
