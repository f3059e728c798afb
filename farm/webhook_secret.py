"""The webhook signing secret: AVATARFARM_WEBHOOK_SECRET, else the one kept under DATA_DIR, else a new one
written there (mode 0600). The caller shows a generated secret once on the terminal; it is never logged and
never served by the API."""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from farm.settings import Settings, valid_webhook_secret

SECRET_FILE = "webhook_secret"
SECRET_BYTES = 32


@dataclass(frozen=True)
class WebhookSecret:
    value: str
    generated: bool
    source: str


def secret_path(settings: Settings) -> Path:
    return settings.data_dir / SECRET_FILE


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def ensure_webhook_secret(settings: Settings) -> WebhookSecret:
    if settings.webhook_secret is not None:
        return WebhookSecret(settings.webhook_secret.get_secret_value(), False, "AVATARFARM_WEBHOOK_SECRET")
    path = secret_path(settings)
    if path.is_file():
        stored = path.read_text(encoding="utf-8").strip()
        if valid_webhook_secret(stored):
            return WebhookSecret(stored, False, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    value = new_secret()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return WebhookSecret(value, True, str(path))
