"""A browser node's own configuration (`avatarfarm node`): the farm's AVATARFARM_* variables it shares, read
without the farm's secrets (a node carries none but its token), and the hosts its browsers may reach.

The egress allow-list is derived from the same settings the farm reads, so a deployment gives the node the
same PUBLIC_BASE_URL, modes and vendor bases and writes no list of its own:

* the bot page's origin: PUBLIC_BASE_URL, else http://HOST:PORT (the farm's own address);
* Zoom: live, `zoom.us` and `*.zoom.us` (signalling and media; the SDK's assets come from the page origin);
  sim, the host of ZOOM_API_BASE, any port (the fake's meeting service);
* LiveAvatar: live, the host of LIVEAVATAR_API_BASE and `*.livekit.cloud` (the LiveKit rooms LiveAvatar hands
  out); sim, the host of LIVEAVATAR_API_BASE, any port (the fake runs its LiveKit server beside it on free ports).

NODE_EGRESS (host, host:port, *.domain, URL; comma-separated) replaces the vendors' part of the list; the page
origin is always on it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from farm.browsers.node_egress import EgressRule, EgressRuleError, parse_rule, parse_rules
from farm.settings import (
    ENV_PREFIX,
    LIVE_LIVEAVATAR_API_BASE,
    SIM_LIVEAVATAR_API_BASE,
    SIM_ZOOM_API_BASE,
    Mode,
    SettingsError,
)

LIVE_ZOOM_HOSTS = ("zoom.us", "*.zoom.us")
LIVE_LIVEKIT_HOSTS = ("*.livekit.cloud",)


class NodeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8800
    public_base_url: str | None = None
    zoom_mode: Mode = Mode.sim
    zoom_api_base: str | None = None
    liveavatar_mode: Mode = Mode.sim
    liveavatar_api_base: str | None = None
    node_egress: str = ""

    @model_validator(mode="after")
    def _check(self) -> NodeSettings:
        for name in ("public_base_url", "zoom_api_base", "liveavatar_api_base"):
            value = getattr(self, name)
            if value is not None and not value.startswith(("http://", "https://")):
                raise ValueError(f"{ENV_PREFIX}{name.upper()} must start with http:// or https:// (got {value!r})")
        try:
            self.egress_rules()
        except EgressRuleError as exc:
            raise ValueError(f"{ENV_PREFIX}NODE_EGRESS: {exc}") from None
        return self

    @property
    def page_origin(self) -> str:
        parts = urlsplit(self.public_base_url or f"http://{self.host}:{self.port}")
        return f"{parts.scheme}://{parts.netloc}"

    def vendor_hosts(self) -> list[str]:
        if self.node_egress.strip():
            return [entry.strip() for entry in self.node_egress.split(",") if entry.strip()]
        hosts: list[str] = []
        if self.zoom_mode is Mode.live:
            hosts += LIVE_ZOOM_HOSTS
        else:
            hosts.append(urlsplit(self.zoom_api_base or SIM_ZOOM_API_BASE).hostname or "")
        if self.liveavatar_mode is Mode.live:
            hosts.append(urlsplit(self.liveavatar_api_base or LIVE_LIVEAVATAR_API_BASE).hostname or "")
            hosts += LIVE_LIVEKIT_HOSTS
        else:
            hosts.append(urlsplit(self.liveavatar_api_base or SIM_LIVEAVATAR_API_BASE).hostname or "")
        return hosts

    def egress_rules(self) -> tuple[EgressRule, ...]:
        return (parse_rule(self.page_origin), *parse_rules(self.vendor_hosts()))


def load_node_settings() -> NodeSettings:
    """The node's settings, or SettingsError in one line naming the variable."""
    try:
        return NodeSettings()
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        loc = [str(part) for part in error.get("loc", ())]
        raise SettingsError(f"{ENV_PREFIX}{loc[0].upper()}: {message}" if loc else message) from None
