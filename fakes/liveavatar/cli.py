"""`avatarfarm fake-liveavatar`: run the simulated LiveAvatar service (blocking, until SIGTERM or Ctrl-C)."""

from __future__ import annotations

import argparse

from fakes.liveavatar.app import create_app
from fakes.liveavatar.config import DEFAULT_ADMIN_TOKEN, DEFAULT_API_KEY, DEFAULT_PORT, FakeLiveAvatarConfig
from fakes.serving import LIFELINE_HELP, serve

HELP = "Run a local LiveAvatar: REST API, a LiveKit room per session with the talking avatar, limits and faults."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = FakeLiveAvatarConfig()
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the X-API-KEY the service accepts")
    parser.add_argument("--admin-token", default=DEFAULT_ADMIN_TOKEN, help="Bearer token of the /admin endpoints")
    parser.add_argument("--public-base-url", default=None, help="base URL browsers use (default: as requested)")
    parser.add_argument(
        "--max-concurrent-sessions",
        type=int,
        default=defaults.max_concurrent_sessions,
        help=f"live sessions at once before start answers 429 (default {defaults.max_concurrent_sessions})",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=defaults.idle_timeout_s,
        help=f"seconds without keep-alive or interaction before IDLE_TIMEOUT (default {defaults.idle_timeout_s:g})",
    )
    parser.add_argument(
        "--max-session-duration",
        type=int,
        default=defaults.max_session_duration_limit_s,
        help="the tier's max_session_duration limit, also the default, in seconds "
        f"(default {defaults.max_session_duration_limit_s})",
    )
    parser.add_argument(
        "--sandbox-duration",
        type=float,
        default=defaults.sandbox_duration_s,
        help=f"seconds a sandbox session lasts (default {defaults.sandbox_duration_s:g})",
    )
    parser.add_argument(
        "--credits",
        type=float,
        default=defaults.initial_credits,
        help=f"starting credit balance (default {defaults.initial_credits:g})",
    )
    parser.add_argument("--overage", action="store_true", help="never end sessions for lack of credits")
    parser.add_argument(
        "--seconds-per-billing-minute",
        type=float,
        default=defaults.seconds_per_billing_minute,
        help="length of a billed 'minute' in seconds (shrink it for tests)",
    )
    parser.add_argument(
        "--client-absence-timeout",
        type=float,
        default=defaults.client_absence_timeout_s,
        help="seconds a client may be out of its LiveKit room before USER_DISCONNECTED "
        f"(default {defaults.client_absence_timeout_s:g})",
    )
    parser.add_argument(
        "--avatar-fps",
        type=float,
        default=defaults.avatar_fps,
        help=f"frames per second of the avatar's video (default {defaults.avatar_fps:g})",
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    parser.add_argument("--lifeline", type=int, default=None, metavar="FD", help=LIFELINE_HELP)


def config_from_args(args: argparse.Namespace) -> FakeLiveAvatarConfig:
    return FakeLiveAvatarConfig(
        api_key=args.api_key,
        admin_token=args.admin_token,
        public_base_url=args.public_base_url,
        max_concurrent_sessions=args.max_concurrent_sessions,
        idle_timeout_s=args.idle_timeout,
        max_session_duration_limit_s=args.max_session_duration,
        sandbox_duration_s=args.sandbox_duration,
        initial_credits=args.credits,
        overage_enabled=args.overage,
        seconds_per_billing_minute=args.seconds_per_billing_minute,
        client_absence_timeout_s=args.client_absence_timeout,
        avatar_fps=args.avatar_fps,
    )


def run(args: argparse.Namespace) -> int:
    app = create_app(config_from_args(args))
    return serve(app, host=args.host, port=args.port, log_level=args.log_level, lifeline=args.lifeline)
