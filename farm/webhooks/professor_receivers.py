"""The professors' own webhook receivers as the sender sees them (farm/webhooks/sender.py): each follows its
professor's messages, signed with its own secret, and is sent to at public addresses only unless the deployment
allows private ones (farm/webhooks/receiver_address.py); the administrator's follow everyone's, anywhere."""

from __future__ import annotations

from farm.webhooks.sender import Receiver, ReceiverSource
from state.webhook_receivers_repository import WebhookReceiversRepository, receiver_key


def professor_receivers(repository: WebhookReceiversRepository, *, private_allowed: bool) -> ReceiverSource:
    async def read() -> list[Receiver]:
        return [
            Receiver(
                receiver_key(active.receiver.id),
                active.receiver.url,
                active.secret,
                None if active.everyone else active.receiver.professor_id,
                pinned=not active.everyone,
                public_only=not (active.everyone or private_allowed),
            )
            for active in await repository.active()
        ]

    return read
