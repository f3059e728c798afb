"""Settings of one fake Zoom service: credentials it checks, its accounts and a few timing knobs."""

from __future__ import annotations

from dataclasses import dataclass, field

# The same values as the farm's simulated defaults, so `avatarfarm demo` needs no flags (copied, not imported:
# the fakes import nothing of the product).
DEFAULT_PORT = 8801
DEFAULT_SDK_KEY = "avatarfarm-sim-sdk-key"
DEFAULT_SDK_SECRET = "avatarfarm-sim-sdk-secret-0123456789"
DEFAULT_ADMIN_TOKEN = "avatarfarm-sim-admin"
DEFAULT_OAUTH_CLIENT_ID = "avatarfarm-sim-oauth-client"
DEFAULT_OAUTH_CLIENT_SECRET = "avatarfarm-sim-oauth-secret"

# The Zoom account that owns the SDK app (its key and secret). Meetings of any other account are
# "external": since 2026-03-02 Zoom requires an OBF token or a ZAK to join them.
APP_ACCOUNT_ID = "sim-app-account"
EXTERNAL_ACCOUNT_ID = "sim-university"


@dataclass(frozen=True)
class SimUser:
    """A Zoom user of some account (the person who authorizes the app with OAuth, or a meeting host)."""

    user_id: str
    email: str
    first_name: str
    last_name: str
    account_id: str

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def default_users() -> tuple[SimUser, ...]:
    """A professor in a university account (external to the app) and a user of the app's own account."""
    return (
        SimUser("sim-professor", "professor@sim.avatarfarm.test", "Ada", "Professor", EXTERNAL_ACCOUNT_ID),
        SimUser("sim-app-owner", "owner@sim.avatarfarm.test", "Otto", "Owner", APP_ACCOUNT_ID),
    )


@dataclass(frozen=True)
class FakeZoomConfig:
    """Everything the service needs; the defaults are the farm's simulated defaults."""

    sdk_key: str = DEFAULT_SDK_KEY
    sdk_secret: str = DEFAULT_SDK_SECRET
    admin_token: str = DEFAULT_ADMIN_TOKEN
    oauth_client_id: str = DEFAULT_OAUTH_CLIENT_ID
    oauth_client_secret: str = DEFAULT_OAUTH_CLIENT_SECRET
    users: tuple[SimUser, ...] = field(default_factory=default_users)
    # False models an app not published on the Marketplace: external meetings then refuse with 4011.
    app_published: bool = True
    # When set, /oauth/authorize approves at once for this user (id or email) instead of showing a consent page.
    oauth_auto_approve_user: str | None = None
    access_token_ttl_s: int = 3600
    authorization_code_ttl_s: int = 600
    # Public base URL that pages use to reach the service; None: derived from each request.
    public_base_url: str | None = None
