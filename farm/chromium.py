"""Which Chromium to launch and with which flags: the machine's Debian build, else Playwright's own."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SYSTEM_CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")

# A closed network floods Chromium with refused connections unless its background services are off.
CLOSED_NETWORK_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-default-browser-check",
    "--disable-domain-reliability",
    "--disable-breakpad",
)

# Media without a person in front of the browser: permission prompts auto-accepted, audio plays without a gesture.
MEDIA_ARGS = (
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
)

# Needed when running as root in a container; harmless elsewhere.
CONTAINER_ARGS = ("--no-sandbox", "--disable-dev-shm-usage")


def chromium_executable() -> str | None:
    """Path of the Chromium to launch, or None to let Playwright use its own build.

    AVATARFARM_CHROMIUM overrides the search; otherwise the system's Chromium wins when present.
    """
    override = os.environ.get("AVATARFARM_CHROMIUM")
    if override:
        return override
    for candidate in SYSTEM_CHROMIUM_CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium")
    return found


def base_args() -> list[str]:
    """Flags every avatarfarm Chromium gets, bots and test participants alike."""
    return [*CLOSED_NETWORK_ARGS, *MEDIA_ARGS, *CONTAINER_ARGS]
