"""The latest media picture of each room, kept in memory from the bots' heartbeats (too frequent for the
database): what the bot sends (fps, resolution, audio levels), whether its avatar talks, and a thumbnail. The
stats are the heartbeat's, parsed once where the report arrives (farm/room/page_messages.py MediaStats)."""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass, field

from farm.room.page_messages import MediaStats

JPEG_DATA_URL = "data:image/jpeg;base64,"
MAX_THUMBNAIL_BYTES = 256 * 1024


@dataclass(frozen=True)
class LiveMedia:
    updated_at: float
    stats: MediaStats
    thumbnail_jpeg: bytes | None = None
    thumbnail_at: float | None = None


@dataclass
class LiveMediaStore:
    _rooms: dict[str, LiveMedia] = field(default_factory=dict)

    def record(self, room_id: str, stats: MediaStats, thumbnail_data_url: str | None, now: float | None = None) -> None:
        now = time.time() if now is None else now
        previous = self._rooms.get(room_id)
        jpeg = previous.thumbnail_jpeg if previous else None
        shot_at = previous.thumbnail_at if previous else None
        decoded = _decode(thumbnail_data_url)
        if decoded is not None:
            jpeg, shot_at = decoded, now
        self._rooms[room_id] = LiveMedia(now, stats, jpeg, shot_at)

    def get(self, room_id: str) -> LiveMedia | None:
        return self._rooms.get(room_id)

    def forget(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)


def _decode(data_url: str | None) -> bytes | None:
    if not data_url or not data_url.startswith(JPEG_DATA_URL):
        return None
    try:
        raw = base64.b64decode(data_url[len(JPEG_DATA_URL) :], validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) > MAX_THUMBNAIL_BYTES or not raw.startswith(b"\xff\xd8"):
        return None
    return raw
