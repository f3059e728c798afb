"""Encryption of secrets at rest (the Zoom OAuth tokens), with Fernet from `cryptography`.

The keys come from AVATARFARM_SECRET_KEY: one Fernet key, or several separated by commas, newest first. Values
are encrypted with the first key and decrypted with any of them, so a key is rotated by putting a new one in
front, restarting (the start-up pass re-encrypts every row with it) and then dropping the old one. When the
variable is unset, a key is generated once and kept in DATA_DIR/secret_key (mode 0600).

Stored values carry the prefix `fernet:`; a value without it was written in plaintext by an older avatarfarm.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from state.private_files import PrivateFileError, create_private, read_private

PREFIX = "fernet:"
KEY_FILE = "secret_key"
ENV_NAME = "AVATARFARM_SECRET_KEY"
HOW_TO_MAKE_A_KEY = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


class SecretKeyError(Exception):
    """The secret key is missing, malformed or not the one the data was written with; str() is one line."""


@dataclass(frozen=True)
class SecretBox:
    """Encrypts with the first key, decrypts with any; `source` says where the keys came from."""

    keys: tuple[Fernet, ...]
    source: str

    @property
    def _all(self) -> MultiFernet:
        return MultiFernet(list(self.keys))

    def encrypt(self, plaintext: str) -> str:
        return PREFIX + self.keys[0].encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The plaintext of a stored value (a legacy plaintext value is returned as it is)."""
        if not is_encrypted(stored):
            return stored
        try:
            return self._all.decrypt(stored.removeprefix(PREFIX).encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise SecretKeyError(
                f"stored Zoom tokens cannot be decrypted with the key from {self.source}: put the key they were "
                f"written with back into {ENV_NAME} (new key first, old keys after, comma-separated)"
            ) from None

    def is_current(self, stored: str) -> bool:
        """Whether a stored value is encrypted with the first key (else the start-up pass re-encrypts it)."""
        if not is_encrypted(stored):
            return False
        try:
            self.keys[0].decrypt(stored.removeprefix(PREFIX).encode("ascii"))
        except InvalidToken:
            return False
        return True


class NoSecretBox(RuntimeError):
    """A sealed value was read or written before the repository was given its SecretBox."""


class SecretBoxSlot:
    """The one SecretBox a repository is given at start-up, shared by every area that seals values at rest
    (meeting passcodes, Zoom tokens, webhook signing secrets)."""

    def __init__(self) -> None:
        self._box: SecretBox | None = None

    def fill(self, box: SecretBox) -> None:
        self._box = box

    @property
    def filled(self) -> bool:
        return self._box is not None

    @property
    def box(self) -> SecretBox:
        if self._box is None:
            raise NoSecretBox("the repository has no SecretBox: call use_secret_box() at start-up")
        return self._box


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


def parse_keys(text: str, source: str) -> SecretBox:
    parts = [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
    if not parts:
        raise SecretKeyError(f"{source} holds no key; make one with: {HOW_TO_MAKE_A_KEY}")
    keys: list[Fernet] = []
    for position, part in enumerate(parts, start=1):
        try:
            keys.append(Fernet(part.encode("ascii")))
        except (ValueError, binascii.Error, UnicodeError):
            raise SecretKeyError(
                f"{source}: key {position} is not a Fernet key (32 bytes, URL-safe base64); "
                f"make one with: {HOW_TO_MAKE_A_KEY}"
            ) from None
    return SecretBox(tuple(keys), source)


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def load_secret_box(configured: str | None, data_dir: Path) -> SecretBox:
    """The keys of AVATARFARM_SECRET_KEY; else DATA_DIR/secret_key, generated (mode 0600) the first time."""
    if configured:
        return parse_keys(configured, ENV_NAME)
    path = key_path(data_dir)
    try:
        stored = read_private(path)
        if stored is None:
            create_private(path, Fernet.generate_key().decode("ascii") + "\n")
            stored = read_private(path)  # another process may have written it first: use theirs
    except PrivateFileError as exc:
        raise SecretKeyError(str(exc)) from None
    return parse_keys(stored or "", str(path))
