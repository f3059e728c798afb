"""The LiveAvatar contexts a session created hold its students' names, the professor's notes and excerpts of
what was said: they are deleted at LiveAvatar when the session ends, and any left over (LiveAvatar could not be
reached then, or the server stopped first) by the reaper's next rounds."""

from __future__ import annotations

import logging

from farm.vendors.liveavatar_client import LiveAvatarClient
from farm.vendors.vendor_http import VendorError
from state.sessions_repository import SessionsRepository

log = logging.getLogger("avatarfarm.farm")


async def delete_contexts(
    sessions: SessionsRepository, liveavatar: LiveAvatarClient, session_id: str | None = None
) -> int:
    """Delete the contexts of ended sessions (of `session_id` only, when given); returns how many went. One
    LiveAvatar cannot delete now stays recorded for the next round."""
    deleted = 0
    for room_id, context_id in await sessions.contexts_to_delete(session_id):
        try:
            await liveavatar.delete_context(context_id)
        except VendorError as exc:
            if exc.status != 404:  # already gone there is as good as deleted
                log.warning("room %s: its LiveAvatar context could not be deleted yet: %s", room_id, exc)
                continue
        await sessions.set_avatar_context(room_id, None)
        deleted += 1
    return deleted
