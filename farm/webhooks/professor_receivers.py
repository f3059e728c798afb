"""The professors' own webhook receivers as the sender sees them (farm/webhooks/sender.py): each follows its
professor's messages, signed with its own secret; the administrator's follow everyone's."""

from __future__ import annotations

from farm.webhooks.sender import Receiver, ReceiverSource
from state.webhook_receivers_repository import WebhookReceiversRepository, receiver_key


def professor_receivers(repository: WebhookReceiversRepository) -> ReceiverSource:
    async def read() -> list[Receiver]:
        return [
            Receiver(
                receiver_key(active.receiver.id),
                active.receiver.url,
                active.secret,
                None if active.everyone else active.receiver.professor_id,
            )
            for active in await repository.active()
        ]

    return read
