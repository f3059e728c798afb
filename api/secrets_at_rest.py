"""The server's secrets at rest, made safe at start-up: DATA_DIR 0700, the database files 0600, the key of the
secret box, and the pass that encrypts (or re-encrypts with the newest key) the stored Zoom tokens and meeting
passcodes."""

from __future__ import annotations

import logging

import aiosqlite

from farm.settings import Settings
from state.database import Database
from state.private_files import secure_database_files
from state.repository import Repository
from state.secret_box import SecretBox, SecretKeyError, load_secret_box

log = logging.getLogger("avatarfarm.secrets")


def open_secret_box(settings: Settings) -> SecretBox:
    """The secret box of AVATARFARM_SECRET_KEY, else of DATA_DIR/secret_key. Raises SecretKeyError (one line)."""
    configured = settings.secret_key.get_secret_value() if settings.secret_key is not None else None
    return load_secret_box(configured, settings.data_dir)


async def open_repository(settings: Settings, box: SecretBox) -> Repository:
    """The database opened with private file modes, its tokens encrypted with the box's first key.

    Raises SecretKeyError when stored tokens were written with a key that is not in the box."""
    secure_database_files(settings.database_path)
    repository = await _open(settings, box)
    try:
        changed = await repository.zoom_grants.encrypt_stored()
    except SecretKeyError as exc:
        await repository.close()
        raise SecretKeyError(
            f"{exc}; or forget the stored Zoom connection (then connect Zoom again): sqlite3 "
            f"{settings.database_path} 'DELETE FROM zoom_grants; DELETE FROM zoom_pending_grants; "
            "DELETE FROM zoom_oauth_states'"
        ) from None
    except BaseException:
        await repository.close()
        raise
    try:
        passcodes = await repository.sessions.encrypt_stored_passcodes()
        passcodes += await repository.webhook_receivers.encrypt_stored_secrets()  # professors' receivers' secrets
    except BaseException:
        await repository.close()
        raise
    if passcodes:
        log.info("encrypted %d stored meeting passcode(s) or webhook secret(s) with the current secret key", passcodes)
    if changed:
        log.info("encrypted %d stored Zoom grant row(s) with the current secret key", changed)
    if changed or passcodes:
        # The pages that held the old values are overwritten now (checkpoint) and the WAL, which still has
        # them in older frames, is emptied, rather than at some later checkpoint.
        await repository.close()
        await _checkpoint(settings)
        repository = await _open(settings, box)
    return repository


async def _checkpoint(settings: Settings) -> None:
    async with aiosqlite.connect(settings.database_path) as conn:
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def _open(settings: Settings, box: SecretBox) -> Repository:
    database = await Database.open(settings.database_path)
    secure_database_files(settings.database_path)  # the -wal/-shm files opening just created
    repository = Repository(database)
    repository.use_secret_box(box)
    return repository


async def check_secrets(settings: Settings) -> None:
    """Everything `open_repository` does, then close: run before serving, so a wrong key is one line, not a
    failed application start-up with a traceback."""
    repository = await open_repository(settings, open_secret_box(settings))
    await repository.close()
