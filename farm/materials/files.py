"""Uploaded course files on disk: written as they arrive into DATA_DIR/materials/incoming (hashed and counted on
the way, refused as soon as they pass the size cap), then kept as DATA_DIR/materials/<sha256> — one copy per
content, however many courses hold it — or deleted, so that a refused upload leaves nothing behind."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from pathlib import Path
from typing import BinaryIO

# A file in incoming/ untouched this long was left by a crashed upload.
ABANDONED_SECONDS = 6 * 3600


class UploadTooLarge(Exception):
    """The file passed the upload cap; nothing of it is kept."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


class IncomingFile:
    """A file being received: counted and hashed chunk by chunk, never held whole in memory."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()
        self._file: BinaryIO | None = path.open("xb")

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise ValueError("the incoming file is closed")
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.discard()
            raise UploadTooLarge(self.max_bytes)
        self._hash.update(chunk)
        self._file.write(chunk)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def discard(self) -> None:
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class MaterialFiles:
    """The materials folder under DATA_DIR."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "materials"
        self._incoming = self.root / "incoming"

    def receive(self, max_bytes: int) -> IncomingFile:
        self._incoming.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._clear_abandoned()
        return IncomingFile(self._incoming / secrets.token_hex(8), max_bytes)

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256

    def keep(self, incoming: IncomingFile) -> Path:
        """Move a received file to its place by hash (a copy already there is the same content: kept as is)."""
        incoming.close()
        target = self.path_of(incoming.sha256)
        if target.exists():
            incoming.discard()
        else:
            os.replace(incoming.path, target)
        return target

    def remove(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_of(sha256).unlink()

    def _clear_abandoned(self) -> None:
        """Files left half-received by a crash (no upload takes this long)."""
        cutoff = time.time() - ABANDONED_SECONDS
        for leftover in self._incoming.iterdir():
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
