"""Professors' API tokens: made here, shown once, stored only as a keyed SHA-256 digest.

Why not argon2, as for a password: a token is 32 random bytes (256 bits), so there is nothing a slow hash
could protect against guessing, and it is checked on every API request, where argon2's deliberate tens of
milliseconds of CPU per check would bound the whole API on a two-core server. The key (DATA_DIR/token_key, a
private file) means a copy of the database alone cannot even test a candidate token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from farm.settings import Settings
from state.private_files import PrivateFileError, create_private, read_private
from state.professors_repository import ApiTokenRecord, ProfessorAccount, ProfessorsRepository

KEY_FILE = "token_key"
TOKEN_PREFIX = "afp_"  # tells a professor's token from the bootstrap token at a glance (and to secret scanners)
KEY_BYTES = 32
FIRST_TOKEN_NAME = "first token"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def key_path(settings: Settings) -> Path:
    return settings.data_dir / KEY_FILE


def ensure_token_key(settings: Settings) -> bytes:
    """The key tokens are digested with: kept in DATA_DIR (mode 0600), made once. Raises PrivateFileError when
    the file is a link, readable by others or damaged."""
    path = key_path(settings)
    stored = (read_private(path) or "").strip()
    if not stored:
        if path.exists():  # an empty file left behind: replaced, still never through a link
            path.unlink()
        create_private(path, secrets.token_hex(KEY_BYTES) + "\n")
        stored = (read_private(path) or "").strip()
    try:
        key = bytes.fromhex(stored)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise PrivateFileError(
            f"{path} does not hold a token key (64 hex digits); restore it from a backup (professors' tokens are "
            "checked with it)"
        )
    return key


async def add_professor(
    repository: ProfessorsRepository, key: bytes, *, name: str, email: str
) -> tuple[ProfessorAccount, ApiTokenRecord, str]:
    """A new professor and their first token (write scope), returned in clear this once. Raises EmailTaken."""
    token = new_token()
    professor, record = await repository.add(
        name=name, email=email, token_name=FIRST_TOKEN_NAME, token_digest=digest(key, token)
    )
    return professor, record, token


async def add_token(
    repository: ProfessorsRepository, key: bytes, professor_id: str, *, name: str, scope: str
) -> tuple[ApiTokenRecord, str]:
    token = new_token()
    return await repository.add_token(professor_id, name=name, scope=scope, digest=digest(key, token)), token
