"""A student's words in the Zoom chat. The page forwards a message written in its breakout room by a person there,
to everyone or to the bot (`meeting.chat`); the farm applies the same rule as to spoken words
(farm/student_choice.py `declines`), so "stop" written in the chat stops the room's avatar exactly as "stop" said
out loud does, and the bot answers the student in the chat that it has. Nothing else written in the chat is kept.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Where a student declined the AI tutor.
DeclineSource = Literal["voice", "chat"]

ACKNOWLEDGEMENT = "Understood: the AI tutor has stopped in this room, and your professor has been told."


class ChatDetail(BaseModel):
    """A `meeting.chat` report: a message written in the bot's room, to everyone there or to the bot."""

    model_config = ConfigDict(extra="ignore")

    message: str = Field(max_length=4000)
    sender: str = Field(default="", max_length=200)
    sender_id: int
    to_bot: bool = False
    room: str | None = None


class StudentDeclined(BaseModel):
    """A student asked the AI tutor to stop, out loud or in the chat."""

    source: DeclineSource
    # Whom to answer in the chat (the Zoom user id of the student who wrote).
    sender_id: int | None = None


class SendChat(BaseModel):
    """The command: write `text` in the Zoom chat, to one participant (None: everyone in the bot's room)."""

    text: str = Field(min_length=1, max_length=1000)
    to_user_id: int | None = None


SEND_CHAT = "(command) => window.avatarfarm.sendChat(command)"
