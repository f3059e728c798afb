"""Which Chromium to launch, with which flags, and with which environment: the machine's Debian build, else
Playwright's own; the renderer sandbox on unless running as root; Chromium features switched in one list each
(Playwright's and ours); an environment of what Chromium needs only."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

log = logging.getLogger("avatarfarm.farm")
_told_unsandboxed = False

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

# A container's /dev/shm is small (64 MiB by default): shared memory goes to /tmp instead.
CONTAINER_ARGS = ("--disable-dev-shm-usage",)
# Chromium refuses to start its sandbox as root; anyone else keeps it, because the renderer decodes the media
# every meeting participant sends and the sandbox is what keeps a renderer exploit away from the host.
NO_SANDBOX_ARGS = ("--no-sandbox",)

# Chromium keeps only the last --disable-features and the last --enable-features it is given, and Playwright
# passes its own lists first: a list of ours must repeat Playwright's (those of playwright 1.65's
# chromiumSwitches) or silently switch them back on.
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
PLAYWRIGHT_ENABLED_FEATURES = ("CDPScreenshotNewSurface", "SkipListAccountsWithoutGaiaCookies")

# Browser UI a headless Chromium never shows and preloads all the same: the omnibox popup's WebUI pages, in a
# renderer of their own (~45 MiB) that spends about a core-second starting, and the translate service. Measured
# over a browser's first 10 s with one page: 2.5–3.1 s of CPU with them, 1.3–1.4 s without.
HEADLESS_UNUSED_FEATURES = ("Translate", "PreloadTopChromeWebUI", "WebUIOmniboxPopup", "WebUIOmniboxAimPopup")


def feature_args(disabled: Iterable[str] = (), enabled: Iterable[str] = ()) -> list[str]:
    """One --disable-features and one --enable-features switch: Playwright's features and these, each once."""
    off = list(dict.fromkeys([*PLAYWRIGHT_DISABLED_FEATURES, *disabled]))
    on = list(dict.fromkeys([*PLAYWRIGHT_ENABLED_FEATURES, *enabled]))
    if clash := set(off) & set(on):
        raise ValueError(f"Chromium features both disabled and enabled: {sorted(clash)}")
    return [f"--disable-features={','.join(off)}", f"--enable-features={','.join(on)}"]


# The variables a browser is given, whatever the launching process carries (API keys, SDK secrets, tokens
# must never reach a process that renders untrusted content): where programs and home are, language and time
# zone, temporary and runtime directories, and fontconfig's own.
BROWSER_ENV_NAMES = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "XDG_RUNTIME_DIR",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "XDG_DATA_HOME",
        "XDG_DATA_DIRS",
    }
)
BROWSER_ENV_PREFIXES = ("LC_", "FONTCONFIG_")


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


def sandboxed(euid: int | None = None) -> bool:
    """Whether Chromium keeps its sandbox: always, except for root (where Chromium refuses to start with it).

    Playwright adds `--no-sandbox` itself unless told otherwise (its `chromiumSandbox` launch option, false by
    default): every launch passes this as that option too. Without it, one warning is logged per process."""
    keeps = (os.geteuid() if euid is None else euid) != 0
    if not keeps and euid is None:
        _tell_unsandboxed()
    return keeps


def _tell_unsandboxed() -> None:
    global _told_unsandboxed
    if not _told_unsandboxed:
        _told_unsandboxed = True
        log.warning(
            "running as root: bot browsers run without Chromium's renderer sandbox, so a renderer exploit reaches "
            "this machine and its secrets; run avatarfarm as an unprivileged user (README, Security)"
        )


def sandbox_args(euid: int | None = None) -> list[str]:
    """`--no-sandbox` for root, nothing for anyone else."""
    return [] if sandboxed(euid) else list(NO_SANDBOX_ARGS)


def base_args(euid: int | None = None) -> list[str]:
    """Flags every avatarfarm Chromium gets, bots and test participants alike."""
    return [*CLOSED_NETWORK_ARGS, *MEDIA_ARGS, *CONTAINER_ARGS, *sandbox_args(euid)]


def browser_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a Chromium is launched with: the allow-listed variables of `environ` (default: ours)."""
    source = os.environ if environ is None else environ
    return {
        name: value
        for name, value in source.items()
        if name in BROWSER_ENV_NAMES or name.startswith(BROWSER_ENV_PREFIXES)
    }
