"""Settings of the simulated LiveAvatar service: credentials, limits, billing and time, all in one dataclass.

Time-dependent behaviour is testable without waiting minutes:
* `idle_timeout_s`, `sandbox_duration_s`, `max_session_duration_limit_s` can be set to a few seconds;
* `seconds_per_billing_minute` shrinks the billing minute (credits are charged per started "minute");
* `clock` is the monotonic clock every deadline is measured with; tests may inject a controllable one;
* `tick_interval_s` is how often the supervisor checks deadlines and bills running sessions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# The farm's simulated defaults (farm/settings.py); copied, never imported.
DEFAULT_PORT = 8802
DEFAULT_API_KEY = "avatarfarm-sim-liveavatar-key"
DEFAULT_ADMIN_TOKEN = "avatarfarm-sim-admin"


@dataclass
class FakeLiveAvatarConfig:
    """Everything the fake service can be told at start-up."""

    api_key: str = DEFAULT_API_KEY
    admin_token: str = DEFAULT_ADMIN_TOKEN
    # Base URL browsers use to reach this service (for the LITE socket's ws_url); None: taken from each request.
    public_base_url: str | None = None

    # Limits. LiveAvatar publishes no concurrency cap; this one is the fake's own and settable.
    max_concurrent_sessions: int = 20
    # Requests per caller per endpoint per second (rate_limits.py); 0: no limit. The number is the fake's own.
    rate_limit_per_second: int = 50
    idle_timeout_s: float = 300.0
    # "Must be <= the configured limit for your subscription tier"; also the default when a token omits it.
    max_session_duration_limit_s: int = 7200
    sandbox_duration_s: float = 60.0
    token_ttl_s: float = 3600.0
    # A session whose client has left its LiveKit room for this long ends with USER_DISCONNECTED.
    client_absence_timeout_s: float = 30.0

    # The LiveKit side (livekit_server.py, avatar_room.py). None: found on PATH or in the project's bin/.
    livekit_server_binary: Path | None = None
    # Frames per second of the avatar's video (LiveAvatar sends 25; fewer keep many sessions cheap here).
    avatar_fps: float = 15.0
    # Draw each frame's wall-clock capture time into it (frame_stamp.py), for glass-to-glass latency benchmarks.
    stamp_frames: bool = False

    # Billing (docs.liveavatar.com/docs/faq/credits): FULL 2 credits/min, LITE 1, first minute escrowed at start.
    initial_credits: float = 1000.0
    full_credits_per_minute: float = 2.0
    lite_credits_per_minute: float = 1.0
    seconds_per_billing_minute: float = 60.0
    # With overage on, sessions never end for lack of credits and the balance may go negative.
    overage_enabled: bool = False

    # No published limit was found for a context; these are the fake's, settable (see contexts.py).
    max_context_prompt_chars: int = 10_000
    max_context_opening_text_chars: int = 1_000
    max_context_name_chars: int = 255

    # Speech.
    tts_words_per_minute: int = 165
    stt_language_weight: float = 12.0

    tick_interval_s: float = 0.25
    clock: Callable[[], float] = field(default=time.monotonic)
    wall_clock: Callable[[], float] = field(default=time.time)

    def credits_per_minute(self, mode: str) -> float:
        return self.lite_credits_per_minute if mode == "LITE" else self.full_credits_per_minute
