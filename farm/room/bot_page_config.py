"""What a bot's page is told: names, the compositor size, short-lived credentials and where each SDK comes from.

The Zoom SDK secret, the LiveAvatar API key and OAuth tokens never go in here: only the meeting JWT and an OBF
token or ZAK when needed. LiveAvatar session tokens reach the page later, one per avatar it asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from farm.settings import Mode, Settings

# Where avatarfarm serves the vendor SDKs from bot_page/node_modules (api/vendor_routes.py).
ZOOM_DIST_PATH = "/vendor/zoom"
NPM_PATH = "/vendor/npm"
EVENTS_SHIM_PATH = "/vendor/shims/events.mjs"
ZOOM_VENDOR_SCRIPTS = (
    "lib/vendor/react.min.js",
    "lib/vendor/react-dom.min.js",
    "lib/vendor/redux.min.js",
    "lib/vendor/redux-thunk.min.js",
    "lib/vendor/lodash.min.js",
    "zoom-meeting-embedded-ES5.min.js",
)
LIVEAVATAR_MODULE = "@heygen/liveavatar-web-sdk/dist/index.esm.js"

# The fake Zoom serves its stand-in of the Component View at this path of its base URL (Zoom's real client
# cannot run offline). LiveAvatar's real web SDK runs in both modes: only its API base differs.
SIM_ZOOM_SDK_PATH = "/sdk/zoomus-websdk-embedded.js"

# The camera's shape and frame rate; the placeholder card, shown while no avatar picture arrives, is sent at its
# own lower rate (make bench: a bot waiting in the main session with a participant receiving its card costs
# about a third less CPU at 5 fps than at 25).
DEFAULT_COMPOSITOR = {"width": 640, "height": 360, "fps": 25, "placeholder_fps": 5}
GOODBYE_TEXT = "The professor is closing the breakout rooms. Thank you, see you in the main session!"
# The page lets an avatar go this long after the last person left (a student reconnecting keeps it).
EMPTY_ROOM_GRACE_MS = 15_000
# A page whose request for an avatar went unanswered (or was declined) asks again after this long.
ASK_AGAIN_MS = 90_000
# The page must see Zoom report computer audio this long after the bot is without it, else it fails in words.
AUDIO_JOIN_MS = 15_000
# A bot waiting this long in the main session while rooms are open tells the professor what the host must do.
UNASSIGNED_NOTICE_MS = 20_000
# RMS level of the meeting audio above which the page hears speech (espeak-ng at normal volume: ~0.05).
VOICE_LEVEL = 0.01


@dataclass(frozen=True)
class PageTimings:
    """How long the page waits before it acts on its own (the product's values; tests shorten them)."""

    audio_join_ms: int = AUDIO_JOIN_MS
    unassigned_notice_ms: int = UNASSIGNED_NOTICE_MS
    ask_again_ms: int = ASK_AGAIN_MS


PRODUCT_TIMINGS = PageTimings()


@dataclass(frozen=True)
class SdkSources:
    zoom_scripts: tuple[str, ...]
    zoom_asset_path: str | None
    liveavatar_module: str
    import_map: dict[str, Any]
    # Script URL fragments whose audio is the avatar's own voice (never fed back as meeting audio).
    avatar_script_fragments: tuple[str, ...]


def sdk_sources(settings: Settings) -> SdkSources:
    base = settings.base_url
    if settings.zoom_mode is Mode.live:
        zoom_scripts = tuple(f"{base}{ZOOM_DIST_PATH}/{path}" for path in ZOOM_VENDOR_SCRIPTS)
        asset_path: str | None = f"{base}{ZOOM_DIST_PATH}/lib/av"
    else:
        zoom_scripts = (f"{settings.zoom_api_base}{SIM_ZOOM_SDK_PATH}",)
        asset_path = None
    module = f"{base}{NPM_PATH}/{LIVEAVATAR_MODULE}"
    import_map: dict[str, Any] = {"imports": {"events": f"{base}{EVENTS_SHIM_PATH}"}}
    fragments: tuple[str, ...] = (f"{NPM_PATH}/@heygen/",)
    return SdkSources(zoom_scripts, asset_path, module, import_map, fragments)


@dataclass(frozen=True)
class BotCredentials:
    """Short-lived credentials minted for one bot attempt."""

    meeting_signature: str
    obf_token: str | None = None
    zak: str | None = None


def bot_page_config(
    settings: Settings,
    *,
    bot_id: str,
    room_id: str,
    room_name: str,
    professor_name: str,
    meeting_number: str,
    passcode: str | None,
    credentials: BotCredentials,
    compositor: dict[str, int] | None = None,
    idle_ms: int | None = None,
    timings: PageTimings = PRODUCT_TIMINGS,
) -> dict[str, Any]:
    sources = sdk_sources(settings)
    return {
        "bot_id": bot_id,
        "room_id": room_id,
        "room_name": room_name,
        "professor_name": professor_name,
        "compositor": {**DEFAULT_COMPOSITOR, **(compositor or {})},
        "heartbeat_ms": 2000,
        "thumbnail_ms": 5000,
        "zoom": {
            "scripts": list(sources.zoom_scripts),
            "asset_path": sources.zoom_asset_path,
            "language": "en-US",
            "meeting_number": meeting_number,
            "password": passcode or "",
            "user_name": f"{professor_name} (AI) · {room_name}",
            "signature": credentials.meeting_signature,
            "obf_token": credentials.obf_token,
            "zak": credentials.zak,
            "breakout_room": room_name,
            "poll_ms": 1000,
            "audio_join_ms": timings.audio_join_ms,
            "unassigned_notice_ms": timings.unassigned_notice_ms,
        },
        "avatar": {
            "start": settings.avatar_start,
            "idle_ms": idle_ms if idle_ms is not None else int(settings.avatar_idle_minutes * 60_000),
            "empty_grace_ms": min(EMPTY_ROOM_GRACE_MS, int(settings.avatar_idle_minutes * 60_000)),
            "ask_again_ms": timings.ask_again_ms,
            "vad_level": VOICE_LEVEL,
            "goodbye_text": GOODBYE_TEXT,
        },
        "liveavatar": {
            "sdk_url": sources.liveavatar_module,
            "import_map": sources.import_map,
            "api_url": settings.liveavatar_api_base,
            "exclude_audio_from": list(sources.avatar_script_fragments),
        },
    }
