"""`avatarfarm fake-oidc`: run the fake OpenID Connect provider (single sign-on for the dashboard)."""

from __future__ import annotations

import argparse

from fakes.oidc.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_USERS, FakeOidcConfig, OidcUser, create_app
from fakes.serving import LIFELINE_HELP, serve

HELP = "Run a local OpenID Connect provider: discovery, authorize, token, JWKS, signed ID tokens."
DEFAULT_PORT = 8803


def _user(text: str) -> OidcUser:
    email, _, name = text.partition("=")
    if "@" not in email:
        raise argparse.ArgumentTypeError(f"a user is EMAIL=Name (got {text!r})")
    return OidcUser(email.strip(), name.strip() or email.split("@")[0])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="the one client (relying party) it knows")
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET, help="that client's secret")
    parser.add_argument(
        "--user",
        action="append",
        type=_user,
        metavar="EMAIL=Name",
        help="a user who can sign in (repeatable; default: " + ", ".join(u.email for u in DEFAULT_USERS) + ")",
    )
    parser.add_argument("--public-base-url", default=None, help="its issuer URL (default http://HOST:PORT)")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--lifeline", type=int, default=None, metavar="FD", help=LIFELINE_HELP)


def run(args: argparse.Namespace) -> int:
    config = FakeOidcConfig(
        issuer=args.public_base_url or f"http://{args.host}:{args.port}",
        client_id=args.client_id,
        client_secret=args.client_secret,
        users=tuple(args.user) if args.user else DEFAULT_USERS,
    )
    return serve(create_app(config), host=args.host, port=args.port, log_level=args.log_level, lifeline=args.lifeline)
