"""`avatarfarm fake-zoom`: run the fake Zoom service (meetings, SDK stand-in, host controls, REST, OAuth)."""

from __future__ import annotations

import argparse

from fakes.serving import LIFELINE_HELP, serve
from fakes.zoom.app import create_app
from fakes.zoom.config import (
    DEFAULT_ADMIN_TOKEN,
    DEFAULT_OAUTH_CLIENT_ID,
    DEFAULT_OAUTH_CLIENT_SECRET,
    DEFAULT_PORT,
    DEFAULT_SDK_KEY,
    DEFAULT_SDK_SECRET,
    FakeZoomConfig,
)

HELP = "Run a local Zoom: meetings with real media, the Meeting SDK stand-in, host controls, REST and OAuth."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--sdk-key", default=DEFAULT_SDK_KEY, help="SDK key (client id) meeting JWTs must carry")
    parser.add_argument("--sdk-secret", default=DEFAULT_SDK_SECRET, help="secret meeting JWTs are signed with")
    parser.add_argument("--admin-token", default=DEFAULT_ADMIN_TOKEN, help="Bearer token of the /fake host controls")
    parser.add_argument("--oauth-client-id", default=DEFAULT_OAUTH_CLIENT_ID, help="OAuth app client id")
    parser.add_argument("--oauth-client-secret", default=DEFAULT_OAUTH_CLIENT_SECRET, help="OAuth app client secret")
    parser.add_argument(
        "--oauth-auto-approve-user",
        default=None,
        metavar="USER",
        help="approve /oauth/authorize at once as this user (id or email) instead of showing a consent page",
    )
    parser.add_argument(
        "--app-unpublished",
        action="store_true",
        help="model an SDK app not published on the Marketplace: joins of external meetings fail with 4011",
    )
    parser.add_argument("--public-base-url", default=None, help="URL browsers use to reach this service")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--lifeline", type=int, default=None, metavar="FD", help=LIFELINE_HELP)


def run(args: argparse.Namespace) -> int:
    config = FakeZoomConfig(
        sdk_key=args.sdk_key,
        sdk_secret=args.sdk_secret,
        admin_token=args.admin_token,
        oauth_client_id=args.oauth_client_id,
        oauth_client_secret=args.oauth_client_secret,
        oauth_auto_approve_user=args.oauth_auto_approve_user,
        app_published=not args.app_unpublished,
        public_base_url=args.public_base_url,
    )
    return serve(create_app(config), host=args.host, port=args.port, log_level=args.log_level, lifeline=args.lifeline)
