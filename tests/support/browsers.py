"""How tests launch Chromium: the same executable and base flags as the farm, plus fake capture devices; and,
as the farm does, a Chromium that dies while it starts (Debian's build segfaults at launch now and then) is
started again once, so a test fails on what it tests rather than on that."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Playwright

from farm.browsers.browser_node import started_again_once
from farm.browsers.chromium import HEADLESS_UNUSED_FEATURES, base_args, chromium_executable, feature_args


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
    # Without the browser UI a headless page never shows: about a core-second less for each browser a test starts.
    args = [*base_args(), *feature_args(HEADLESS_UNUSED_FEATURES), "--use-fake-device-for-media-stream"]
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


async def launch(playwright: Playwright, **options: Any) -> Browser:
    """`playwright.chromium.launch(**options)`, started again once if Chromium dies while starting."""
    launched: Browser = await started_again_once()(playwright.chromium.launch, **options)
    return launched


async def connect(playwright: Playwright, url: str, **options: Any) -> Browser:
    """`playwright.chromium.connect(url, **options)` to a browser node, again once if its Chromium dies starting."""
    connected: Browser = await started_again_once()(playwright.chromium.connect, url, **options)
    return connected


def chromium_that_dies(tmp_path: Path, times: int) -> tuple[Path, Path]:
    """A "Chromium" that dies by SIGSEGV at its first `times` starts (counted in a file), then is Chromium."""
    tmp_path.mkdir(exist_ok=True)
    starts = tmp_path / "starts"
    script = tmp_path / "chromium"
    real = chromium_executable() or shutil.which("chromium") or "chromium"
    script.write_text(
        "#!/bin/sh\n"
        f'echo x >> "{starts}"\n'
        f'if [ "$(wc -l < "{starts}")" -le {times} ]; then echo "Fatal: died starting" >&2; kill -SEGV $$; fi\n'
        f'exec "{real}" "$@"\n'
    )
    script.chmod(0o755)
    return script, starts
