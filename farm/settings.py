"""avatarfarm's configuration: AVATARFARM_* environment variables and .env, validated once at start-up."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from farm.browsers.blocked_ports import refused_port_words
from farm.credential_strength import weakness

ENV_PREFIX = "AVATARFARM_"

# The simulated services' defaults. The fakes (fakes/zoom, fakes/liveavatar) start with the same values,
# so `avatarfarm demo` and a plain `avatarfarm serve` need no credentials at all.
SIM_ZOOM_API_BASE = "http://127.0.0.1:8801"
SIM_ZOOM_SDK_KEY = "avatarfarm-sim-sdk-key"
SIM_ZOOM_SDK_SECRET = "avatarfarm-sim-sdk-secret-0123456789"
SIM_ZOOM_OAUTH_CLIENT_ID = "avatarfarm-sim-oauth-client"
SIM_ZOOM_OAUTH_CLIENT_SECRET = "avatarfarm-sim-oauth-secret"
SIM_LIVEAVATAR_API_BASE = "http://127.0.0.1:8802"
SIM_LIVEAVATAR_API_KEY = "avatarfarm-sim-liveavatar-key"

LIVE_ZOOM_API_BASE = "https://api.zoom.us"
LIVE_ZOOM_OAUTH_BASE = "https://zoom.us"
LIVE_LIVEAVATAR_API_BASE = "https://api.liveavatar.com"

# A bot with a student receiving it measured 0.20-0.25 core and 211-258 MiB PSS (`make bench`, README's table):
# three per core leave a quarter of each core to spare, 400 MiB each half again their memory.
BOTS_PER_CORE = 3
MIB_PER_BOT = 400


NODE_URL_SCHEMES = ("ws", "wss", "dns+ws", "dns+wss")
DEFAULT_NODE_MAX_BOTS = 4


def is_loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Mode(StrEnum):
    sim = "sim"
    live = "live"


def default_max_bots() -> int:
    """Per-node bot limit derived from the machine: the smaller of the CPU and the memory bound."""
    cores = os.cpu_count() or 1
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
        mem_mib = pages * page_size // (1024 * 1024)
    except (ValueError, OSError):
        mem_mib = 4096
    by_memory = max(1, (mem_mib - 1024) // MIB_PER_BOT)
    return max(1, min(cores * BOTS_PER_CORE, by_memory))


class Settings(BaseSettings):
    """Every setting, with the embedded default: everything simulated, state under ./var."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    api_token: SecretStr | None = None
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8800
    public_base_url: str | None = None
    data_dir: Path = Path("./var")
    # Fernet keys for secrets at rest (Zoom OAuth tokens), comma-separated, newest first; generated under
    # DATA_DIR when unset (state/secret_box.py).
    secret_key: SecretStr | None = None

    zoom_mode: Mode = Mode.sim
    zoom_sdk_key: str | None = None
    zoom_sdk_secret: SecretStr | None = None
    zoom_oauth_client_id: str | None = None
    zoom_oauth_client_secret: SecretStr | None = None
    zoom_api_base: str | None = None
    zoom_oauth_base: str | None = None

    liveavatar_mode: Mode = Mode.sim
    liveavatar_api_key: SecretStr | None = None
    liveavatar_api_base: str | None = None
    # LiveAvatar limits each key per endpoint per second (a fixed one-second window); the farm starts at most
    # this many calls of one endpoint in any second (farm/vendors/request_pacing.py).
    liveavatar_calls_per_second: Annotated[int, Field(ge=1, le=100)] = 5
    # How the token request names the voice and the room's context: `avatar_persona` (today's shape, verified
    # live) or `voice_agent` (LiveAvatar's newer shape, with LIVEAVATAR_VOICE_AGENT_ID; not yet verified live).
    liveavatar_token_shape: Literal["avatar_persona", "voice_agent"] = "avatar_persona"
    liveavatar_voice_agent_id: str | None = None

    max_bots: Annotated[int, Field(ge=1, le=1000)] = Field(default_factory=default_max_bots)
    session_credit_budget: Annotated[float, Field(gt=0)] | None = None

    launch_concurrency: Annotated[int, Field(ge=1, le=64)] = 2
    launch_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 120.0
    warm_pool: Annotated[int, Field(ge=0, le=64)] = 0
    retry_budget: Annotated[int, Field(ge=0, le=100)] = 3
    max_room_minutes: Annotated[float, Field(gt=0)] = 180.0
    avatar_quality: Literal["very_high", "high", "medium", "low"] = "medium"
    # When a bot in its breakout room asks for an avatar: once a human is there (default), or at once.
    avatar_start: Literal["on_human", "on_join"] = "on_human"
    # Minutes without speech in the room after which the avatar is paused (its billing stops).
    avatar_idle_minutes: Annotated[float, Field(gt=0, le=240)] = 3.0
    # Largest course-material upload (POST /api/materials), in megabytes; refused (413) while it streams in.
    max_upload_mb: Annotated[float, Field(gt=0, le=1024)] = 25.0

    # Webhooks (Standard Webhooks): receivers as a comma list; the signing secret (whsec_…) is generated under
    # DATA_DIR when unset. Failed deliveries are retried with exponential backoff within the budget.
    webhook_urls: str = ""
    webhook_secret: SecretStr | None = None
    webhook_retry_budget_seconds: Annotated[float, Field(gt=0)] = 24 * 3600.0
    webhook_first_retry_seconds: Annotated[float, Field(gt=0)] = 5.0
    webhook_max_retry_seconds: Annotated[float, Field(gt=0)] = 3600.0
    webhook_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0
    # Plain http:// receivers other than loopback are refused unless this says the network is trusted.
    webhook_allow_http: bool = False
    # A professor's own receivers must be at public addresses (farm/webhooks/receiver_address.py) unless this says
    # the deployment's private network may get them; the administrator's and WEBHOOK_URLS always may.
    webhook_allow_private: bool = False
    # Single sign-on to the dashboard with OpenID Connect (api/dashboard/oidc_sign_in.py): the provider's issuer URL
    # and this server's client there; unknown emails are refused unless their domain is listed for sign-up.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_signup_domains: str = ""
    oidc_provider_name: str = "your university account"
    # Browser nodes (`avatarfarm node`) on other machines; none means browsers run beside the manager.
    browser_nodes: str = ""
    browser_node_token: SecretStr | None = None
    node_max_bots: Annotated[int, Field(ge=1, le=1000)] = DEFAULT_NODE_MAX_BOTS

    # What one client may send and hold open (api/request_guard.py): a JSON or form body's size in bytes;
    # routes that take uploads name their own larger cap in BODY_LIMITS ({"METHOD /path/{param}": bytes},
    # merged over api/body_limits.py's defaults); requests and event streams open at once per client address.
    max_body_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 1024 * 1024
    body_limits: dict[str, Annotated[int, Field(ge=1024)]] = Field(default_factory=dict)
    max_requests_per_client: Annotated[int, Field(ge=1, le=10_000)] = 256
    max_streams_per_client: Annotated[int, Field(ge=1, le=1000)] = 32
    # Days after a session ended that what its students said (transcripts, events, names) is kept (state/retention.py).
    retention_days: Annotated[float, Field(gt=0, le=3650)] = 180.0
    # Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For/-Proto/-Host are believed.
    trusted_proxies: str = ""

    @model_validator(mode="after")
    def _fill_mode_defaults(self) -> Self:
        if self.zoom_mode is Mode.live:
            missing = [
                name
                for name, value in (("ZOOM_SDK_KEY", self.zoom_sdk_key), ("ZOOM_SDK_SECRET", self.zoom_sdk_secret))
                if not value
            ]
            if missing:
                raise ValueError(f"{ENV_PREFIX}{missing[0]} is required when {ENV_PREFIX}ZOOM_MODE=live")
            self.zoom_api_base = self.zoom_api_base or LIVE_ZOOM_API_BASE
            self.zoom_oauth_base = self.zoom_oauth_base or LIVE_ZOOM_OAUTH_BASE
        else:
            self.zoom_sdk_key = self.zoom_sdk_key or SIM_ZOOM_SDK_KEY
            self.zoom_sdk_secret = self.zoom_sdk_secret or SecretStr(SIM_ZOOM_SDK_SECRET)
            self.zoom_oauth_client_id = self.zoom_oauth_client_id or SIM_ZOOM_OAUTH_CLIENT_ID
            self.zoom_oauth_client_secret = self.zoom_oauth_client_secret or SecretStr(SIM_ZOOM_OAUTH_CLIENT_SECRET)
            self.zoom_api_base = self.zoom_api_base or SIM_ZOOM_API_BASE
            self.zoom_oauth_base = self.zoom_oauth_base or self.zoom_api_base
        if self.liveavatar_mode is Mode.live:
            if not self.liveavatar_api_key:
                raise ValueError(f"{ENV_PREFIX}LIVEAVATAR_API_KEY is required when {ENV_PREFIX}LIVEAVATAR_MODE=live")
            self.liveavatar_api_base = self.liveavatar_api_base or LIVE_LIVEAVATAR_API_BASE
        else:
            self.liveavatar_api_key = self.liveavatar_api_key or SecretStr(SIM_LIVEAVATAR_API_KEY)
            self.liveavatar_api_base = self.liveavatar_api_base or SIM_LIVEAVATAR_API_BASE
        if self.liveavatar_token_shape == "voice_agent" and not self.liveavatar_voice_agent_id:
            raise ValueError(
                f"{ENV_PREFIX}LIVEAVATAR_VOICE_AGENT_ID is required when "
                f"{ENV_PREFIX}LIVEAVATAR_TOKEN_SHAPE=voice_agent (the id of a voice agent at "
                "app.liveavatar.com/voice-agent)"
            )
        for url in self.webhook_targets:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{ENV_PREFIX}WEBHOOK_URLS: each URL must start with http:// or https:// ({url!r})")
            host = urlsplit(url).hostname or ""
            if url.startswith("http://") and not is_loopback_host(host) and not self.webhook_allow_http:
                raise ValueError(
                    f"{ENV_PREFIX}WEBHOOK_URLS: {host} would get students' names and words in the clear over "
                    f"http://; use https://, or set {ENV_PREFIX}WEBHOOK_ALLOW_HTTP=true if that network is yours"
                )
        if self.oidc_issuer is not None:
            self.oidc_issuer = self.oidc_issuer.rstrip("/")
            oidc_host = urlsplit(self.oidc_issuer).hostname or ""
            if not self.oidc_issuer.startswith("https://") and not (
                self.oidc_issuer.startswith("http://") and is_loopback_host(oidc_host)
            ):
                raise ValueError(f"{ENV_PREFIX}OIDC_ISSUER must be an https:// URL (got {self.oidc_issuer!r})")
            if not self.oidc_client_id or self.oidc_client_secret is None:
                raise ValueError(
                    f"{ENV_PREFIX}OIDC_ISSUER needs {ENV_PREFIX}OIDC_CLIENT_ID and {ENV_PREFIX}OIDC_CLIENT_SECRET "
                    "(this server's client at the provider)"
                )
        if self.webhook_secret is not None and not valid_webhook_secret(self.webhook_secret.get_secret_value()):
            raise ValueError(f"{ENV_PREFIX}WEBHOOK_SECRET must be whsec_ followed by base64 (24 to 64 random bytes)")
        for name in ("zoom_api_base", "zoom_oauth_base", "liveavatar_api_base", "public_base_url"):
            value = getattr(self, name)
            if value is not None:
                if not value.startswith(("http://", "https://")):
                    raise ValueError(f"{ENV_PREFIX}{name.upper()} must start with http:// or https:// (got {value!r})")
                setattr(self, name, value.rstrip("/"))
        self._check_credentials()
        for item in self.trusted_proxies.split(","):
            try:
                if item.strip():
                    ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{ENV_PREFIX}TRUSTED_PROXIES: {item.strip()!r} is not an IP address or network (like 10.0.0.0/8)"
                ) from None
        for route in self.body_limits:
            method, _, path = route.partition(" ")
            if not method.isalpha() or not path.startswith("/") or " " in path:
                raise ValueError(
                    f"{ENV_PREFIX}BODY_LIMITS: {route!r} is not 'METHOD /path' (like 'POST /api/materials')"
                )
        self._check_nodes()
        self._check_page_port()
        return self

    def _check_page_port(self) -> None:
        """The bots' browsers load their page from base_url: a port they refuse would start no bot at all."""
        if self.public_base_url is not None:
            name, port = "PUBLIC_BASE_URL", urlsplit(self.public_base_url).port
        else:
            name, port = "PORT", self.port
        words = refused_port_words(port) if port is not None else None
        if words is not None:
            raise ValueError(f"{ENV_PREFIX}{name}: {words}")

    def _check_credentials(self) -> None:
        """Our own credentials carry 128 bits; no credential is a placeholder (deploy/kubernetes/secret.yaml's).
        The message names the variable, never the value."""
        ours = ("api_token", "browser_node_token", "webhook_secret")
        vendors = ("zoom_sdk_key", "zoom_sdk_secret", "zoom_oauth_client_id", "zoom_oauth_client_secret")
        for name in (*ours, *vendors, "liveavatar_api_key", "secret_key"):
            value = getattr(self, name)
            text = value.get_secret_value() if isinstance(value, SecretStr) else value
            if not text:
                continue
            why = weakness(text)
            if why is not None and (name in ours or why.startswith("is a placeholder")):
                raise ValueError(f"{ENV_PREFIX}{name.upper()} {why}")

    def _check_nodes(self) -> None:
        urls = self.browser_node_urls
        if not urls:
            return
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in NODE_URL_SCHEMES or not parts.hostname or parts.port is None:
                raise ValueError(f"{ENV_PREFIX}BROWSER_NODES: {url!r} is not ws://HOST:PORT/ or dns+ws://NAME:PORT/")
        if self.browser_node_token is None or not self.browser_node_token.get_secret_value():
            raise ValueError(f"{ENV_PREFIX}BROWSER_NODE_TOKEN is required when {ENV_PREFIX}BROWSER_NODES is set")
        page_host = urlsplit(self.base_url).hostname or ""
        remote = [url for url in urls if not is_loopback_host(urlsplit(url).hostname or "")]
        if is_loopback_host(page_host) and remote:
            raise ValueError(
                f"{ENV_PREFIX}PUBLIC_BASE_URL: browsers on {urlsplit(remote[0]).hostname} cannot load bot pages "
                f"from {self.base_url} (a loopback address); set it to an address the browser nodes can reach"
            )

    @property
    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        items = (item.strip() for item in self.trusted_proxies.split(","))
        return [ipaddress.ip_network(item, strict=False) for item in items if item]

    @property
    def browser_node_urls(self) -> list[str]:
        return [url.strip() for url in self.browser_nodes.split(",") if url.strip()]

    @property
    def base_url(self) -> str:
        """Where browsers reach this server: the public base URL, else http://HOST:PORT."""
        return self.public_base_url or f"http://{self.host}:{self.port}"

    @property
    def oidc_signup_domain_set(self) -> frozenset[str]:
        """Email domains whose unknown users become professors at their first single sign-on."""
        return frozenset(d.strip().lower().lstrip("@") for d in self.oidc_signup_domains.split(",") if d.strip())

    @property
    def webhook_targets(self) -> tuple[str, ...]:
        """The webhook receiver URLs (AVATARFARM_WEBHOOK_URLS, comma-separated), without duplicates."""
        urls = [part.strip() for part in self.webhook_urls.split(",") if part.strip()]
        return tuple(dict.fromkeys(urls))

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "avatarfarm.sqlite3"


def valid_webhook_secret(value: str) -> bool:
    if not value.startswith("whsec_"):
        return False
    try:
        key = base64.b64decode(value.removeprefix("whsec_") + "==", validate=False)
    except (binascii.Error, ValueError):
        return False
    return 24 <= len(key) <= 64


def _describe(error: Any) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type"):
        return "must be a number"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "greater_than":
        return f"must be more than {ctx.get('gt')}"
    if kind == "enum":
        return f"must be one of: {ctx.get('expected', '').replace(chr(39), '')}"
    return str(error.get("msg", "invalid value")).removeprefix("Value error, ")


class SettingsError(Exception):
    """A setting is missing or malformed; str() is one line naming it."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line that names the offending variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(part) for part in error.get("loc", ()) if part != "__root__"]
        message = _describe(error)
        if loc:
            name = ENV_PREFIX + loc[0].upper()
            given = error.get("input")
            shown = f" (got {given!r})" if isinstance(given, str | int | float) else ""
            raise SettingsError(f"{name}: {message}{shown}") from None
        raise SettingsError(message) from None
