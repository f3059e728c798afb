"""Files only this server's user may read: DATA_DIR (0700), the database files and the generated secrets (0600).

Secrets are created with O_EXCL|O_NOFOLLOW (never through a planted symlink, never over an existing file) and
checked on every read: a symlink, or a file that the group or others can read, is refused with one line that
says how to fix it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")


class PrivateFileError(Exception):
    """A secret file is unsafe (a symlink, or readable by others); str() is one line with the fix."""


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and its parents) with mode 0700; an existing directory of ours is narrowed to 0700."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(DIR_MODE)


def read_private(path: Path) -> str | None:
    """The text of a secret file, or None when there is none; refuses symlinks and group/other-readable files."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PrivateFileError(
                f"{path} is a symbolic link; avatarfarm reads secrets only from a regular file: "
                f"remove the link (rm {path}) and put the file itself there"
            ) from None
        raise
    with os.fdopen(fd, "r", encoding="utf-8") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PrivateFileError(f"{path} is not a regular file; remove it and start again")
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise PrivateFileError(
                f"{path} can be read by other users (mode {stat.S_IMODE(info.st_mode):o}): run chmod 600 {path}"
            )
        return handle.read()


def create_private(path: Path, text: str) -> bool:
    """Write a new secret file (mode 0600, O_EXCL|O_NOFOLLOW). False when one appeared meanwhile (kept as is)."""
    ensure_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return True


def replace_private(path: Path, text: str) -> None:
    """Replace a private file's content: written to a new private file beside it, then renamed over it (a link
    at `path` is replaced, never followed)."""
    ensure_private_dir(path.parent)
    fresh = path.with_name(f".{path.name}.{os.getpid()}.new")
    with contextlib.suppress(FileNotFoundError):
        fresh.unlink()
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(fresh, path)


def secure_database_files(database: Path) -> None:
    """DATA_DIR 0700 and the SQLite file with its -wal/-shm/-journal companions 0600.

    A new database file is created empty with mode 0600 first: SQLite gives its WAL and shared-memory files the
    database file's permissions."""
    ensure_private_dir(database.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE))
    for suffix in DATABASE_SUFFIXES:
        companion = database.with_name(database.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            if not companion.is_symlink() and stat.S_IMODE(companion.stat().st_mode) != FILE_MODE:
                companion.chmod(FILE_MODE)
