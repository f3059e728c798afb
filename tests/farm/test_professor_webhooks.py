"""Professors' own webhook receivers: each gets only its professor's messages, signed with its own secret; the
administrator's receivers and the server-wide AVATARFARM_WEBHOOK_URLS get everyone's; a receiver added or
removed while the sender runs is picked up at once; the outbox is pruned past what each receiver follows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from farm.webhooks.professor_receivers import professor_receivers
from farm.webhooks.secret import new_secret
from farm.webhooks.sender import WebhookSender
from state.database import Database
from state.models import RoomStatus
from state.professors_repository import ADMIN_ID
from state.repository import Repository
from state.secret_box import parse_keys
from state.webhook_receivers_repository import receiver_key
from tests.state.conftest import sample_session
from tests.support.polling import until
from tests.support.servers import serve_app
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    db = await Database.open(tmp_path / "state.sqlite3")
    repository = Repository(db)
    repository.use_secret_box(parse_keys(Fernet.generate_key().decode(), "test"))
    yield repository
    await db.close()


async def _professor(repo: Repository, name: str) -> str:
    professor, _ = await repo.professors.add(
        name=name, email=f"{name.lower()}@uni.test", token_name="first", token_digest=name[0].lower() * 64
    )
    return professor.id


async def _class_of(repo: Repository, owner: str) -> str:
    session, _ = await repo.sessions.create(sample_session(rooms=1, owner_id=owner))
    await repo.sessions.set_room_status(session.rooms[0].id, RoomStatus.starting)
    return session.id


async def test_each_professors_receiver_gets_only_their_sessions_messages(repo: Repository) -> None:
    ada, bea = await _professor(repo, "Ada"), await _professor(repo, "Bea")
    server_secret, ada_secret, bea_secret, admin_secret = (new_secret() for _ in range(4))
    everyone = WebhookReceiver(server_secret)
    ada_hook, bea_hook, admin_hook = (
        WebhookReceiver(ada_secret),
        WebhookReceiver(bea_secret),
        WebhookReceiver(admin_secret),
    )
    async with (
        serve_app(everyone.app()) as server,
        serve_app(ada_hook.app()) as ada_server,
        serve_app(bea_hook.app()) as bea_server,
        serve_app(admin_hook.app()) as admin_server,
    ):
        webhooks = WebhookSender(
            repo,
            (f"{server.base_url}/hook",),
            server_secret,
            budget_seconds=60.0,
            first_retry_seconds=0.05,
            max_retry_seconds=0.4,
            timeout_seconds=5.0,
            professor_receivers=professor_receivers(repo.webhook_receivers),
        )
        await webhooks.start()
        try:
            # Registered while the sender runs: picked up at once, each signed with its own secret.
            theirs = await repo.webhook_receivers.add(ada, url=f"{ada_server.base_url}/hook", secret=ada_secret)
            await repo.webhook_receivers.add(bea, url=f"{bea_server.base_url}/hook", secret=bea_secret)
            await repo.webhook_receivers.add(ADMIN_ID, url=f"{admin_server.base_url}/hook", secret=admin_secret)
            await until(lambda: len(webhooks.receiver_keys) == 4, 10, "the four receivers")
            ada_class, bea_class = await _class_of(repo, ada), await _class_of(repo, bea)
            # Each class: room.status queued and starting.
            await everyone.wait_for(lambda: len(everyone.accepted) == 4)
            await admin_hook.wait_for(lambda: len(admin_hook.accepted) == 4)
            await ada_hook.wait_for(lambda: len(ada_hook.accepted) == 2)
            await bea_hook.wait_for(lambda: len(bea_hook.accepted) == 2)
            assert {d.data["session_id"] for d in ada_hook.accepted} == {ada_class}
            assert {d.data["session_id"] for d in bea_hook.accepted} == {bea_class}
            assert {d.data["session_id"] for d in everyone.accepted} == {ada_class, bea_class}
            assert {d.data["session_id"] for d in admin_hook.accepted} == {ada_class, bea_class}

            # Removed: nothing more goes there; the others carry on.
            await repo.webhook_receivers.remove(ada, theirs.id)
            await until(lambda: receiver_key(theirs.id) not in webhooks.receiver_keys, 10, "Ada's receiver gone")
            await _class_of(repo, ada)
            await everyone.wait_for(lambda: len(everyone.accepted) == 6)
            await admin_hook.wait_for(lambda: len(admin_hook.accepted) == 6)
        finally:
            await webhooks.stop()
    assert len(ada_hook.accepted) == 2 and len(bea_hook.accepted) == 2
    for hook in (everyone, ada_hook, bea_hook, admin_hook):
        assert hook.bad_signatures == 0


async def test_a_receiver_that_follows_one_professor_does_not_hold_back_pruning(repo: Repository) -> None:
    ada, bea = await _professor(repo, "Ada"), await _professor(repo, "Bea")
    outbox = repo.webhook_outbox
    keys = ["http://all.example/hook", receiver_key("whk_ada")]
    await outbox.open_cursor(keys[0])
    await outbox.open_cursor(keys[1], ada)
    await _class_of(repo, bea)  # two messages, both Bea's
    later = 1e12
    while True:
        _, message = await outbox.next_for(keys[0])
        if message is None:
            break
        await outbox.delivered(keys[0], message)
    assert (await outbox.next_for(keys[1]))[1] is None  # Ada's receiver has nothing of Bea's to send
    assert await outbox.prune(keys, older_than=later) == 2
    await _class_of(repo, ada)
    while True:
        _, message = await outbox.next_for(keys[0])
        if message is None:
            break
        await outbox.delivered(keys[0], message)
    assert await outbox.prune(keys, older_than=later) == 0  # Ada's receiver has not had hers yet
