"""In-meeting chat as Component View delivers it (`sendChat`, the `chat-on-message` event of embedded.d.ts).

A message goes to everyone in the sender's own conference (the main session, or one breakout room) or
privately to one participant there; everyone it reaches, the sender included (the served bundle emits the
sender's own message too), gets `chat-on-message` with the payload the bundle's public handler builds:
`{id, message, sender: {name, userId}, receiver: {name, userId}, timestamp, file: {name, type}}`. A message to
everyone has receiver userId 0 (the bundle's `All`) and name "Everyone" (`wc_chat.everyone`).
tests/fakes_zoom/test_chat_contract.py holds all of it to the typings and the served bundle.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from fakes.zoom import errors

if TYPE_CHECKING:
    from fakes.zoom.meetings import Meeting
    from fakes.zoom.participants import Participant

EVERYONE = 0
EVERYONE_NAME = "Everyone"
MAX_LENGTH = 4096


def chat_payload(sender: Participant, receiver: Participant | None, message: str) -> dict[str, Any]:
    """The `chat-on-message` payload of one message (receiver None: everyone in the sender's conference)."""
    return {
        "id": "{" + str(uuid.uuid4()).upper() + "}",
        "message": message,
        "sender": {"name": sender.name, "userId": sender.user_id},
        "receiver": (
            {"name": EVERYONE_NAME, "userId": EVERYONE}
            if receiver is None
            else {"name": receiver.name, "userId": receiver.user_id}
        ),
        "timestamp": int(time.time() * 1000),
        "file": {"name": "", "type": ""},
    }


def send_chat(meeting: Meeting, sender: Participant, message: str, to_user_id: int = EVERYONE) -> dict[str, Any]:
    """Delivers a message and returns what `sendChat` resolves to (the ChatMessage, without `file`)."""
    if not message:
        raise errors.OperationFailure("INVALID_PARAMETERS", "Invalid chat message", 4003)
    conference = meeting.media_room(sender)
    if conference is None:
        raise errors.STATE_ON_HOLD
    receiver: Participant | None = None
    if to_user_id != EVERYONE:
        receiver = meeting.find(to_user_id)
        if receiver is None or receiver is sender or meeting.media_room(receiver) != conference:
            raise errors.USER_NOT_FOUND
    payload = chat_payload(sender, receiver, message[:MAX_LENGTH])
    reached = [sender, receiver] if receiver is not None else meeting.in_conference(conference)
    for p in reached:
        if p is not None:
            p.send({"op": "event", "name": "chat-on-message", "payload": payload})
    meeting.chat_log.append(payload)
    return {key: value for key, value in payload.items() if key != "file"}
