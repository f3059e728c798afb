"""How tests launch Chromium: the same executable and base flags as the farm, plus fake capture devices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from farm.browsers.chromium import base_args, chromium_executable


def launch_options(
    *,
    fake_video: Path | None = None,
    fake_audio: Path | None = None,
    extra_args: list[str] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for `playwright.chromium.launch()`.

    With fake_video / fake_audio the browser's own camera and microphone play those files
    (Y4M with a C420 header, uncompressed WAV); without them Chromium's built-in test pattern and beep.
    """
    args = [*base_args(), "--use-fake-device-for-media-stream"]
    if fake_video is not None:
        args.append(f"--use-file-for-fake-video-capture={fake_video}")
    if fake_audio is not None:
        args.append(f"--use-file-for-fake-audio-capture={fake_audio}")
    args.extend(extra_args or [])
    options: dict[str, Any] = {"headless": True, "args": args}
    executable = chromium_executable()
    if executable:
        options["executable_path"] = executable
    return options
