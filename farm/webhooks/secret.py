"""The webhook signing secret: AVATARFARM_WEBHOOK_SECRET, else the one kept under DATA_DIR, else a new one
written there (a private file: mode 0600, O_EXCL|O_NOFOLLOW, see state/private_files.py). The caller shows a
generated secret once, and only on a terminal; it is never logged and never served by the API."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from pathlib import Path

from farm.settings import Settings, valid_webhook_secret
from state.private_files import PrivateFileError, create_private, read_private

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
    """Raises PrivateFileError (one line with the fix) when the kept file is a symlink, readable by others, or
    holds something else than a secret: a receiver's secret is never replaced behind the operator's back."""
    if settings.webhook_secret is not None:
        return WebhookSecret(settings.webhook_secret.get_secret_value(), False, "AVATARFARM_WEBHOOK_SECRET")
    path = secret_path(settings)
    stored = (read_private(path) or "").strip()
    if stored:
        if not valid_webhook_secret(stored):
            raise PrivateFileError(
                f"{path} does not hold a webhook secret (whsec_ followed by base64): put your receivers' secret "
                f"there, or remove the file to have a new one made"
            )
        return WebhookSecret(stored, False, str(path))
    value = new_secret()
    if path.exists():  # an empty file left behind: replaced, still never through a link
        path.unlink()
    if not create_private(path, value + "\n"):
        return WebhookSecret((read_private(path) or "").strip(), False, str(path))  # another process wrote it
    return WebhookSecret(value, True, str(path))


def announce_secret(secret: WebhookSecret, *, to_terminal: bool) -> str | None:
    """What to print about a generated secret: the secret itself only on a terminal, else where it is kept."""
    if not secret.generated:
        return None
    if to_terminal:
        return f"Webhook signing secret (shown once; kept in {secret.source}):\n  {secret.value}"
    return (
        f"Webhook signing secret generated and kept in {secret.source} (not printed: standard output is not a terminal)"
    )
