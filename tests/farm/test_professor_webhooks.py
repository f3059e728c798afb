"""Professors' own webhook receivers: each gets only its professor's messages, signed with its own secret; the
administrator's receivers and the server-wide AVATARFARM_WEBHOOK_URLS get everyone's; a receiver added or
removed while the sender runs is picked up at once; the outbox is pruned past what each receiver follows; a
professor's receiver is sent to only at a public address (unless the deployment allows private ones), the one
looked up for that delivery."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet

from farm.webhooks.professor_receivers import professor_receivers
from farm.webhooks.receiver_address import IPAddress, Resolver, resolve
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
from tests.support.tls_proxy import tls_tunnel
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


def _sender(
    repo: Repository,
    *,
    private_allowed: bool,
    resolver: Resolver = resolve,
    urls: tuple[str, ...] = (),
    secret: str | None = None,
) -> WebhookSender:
    return WebhookSender(
        repo,
        urls,
        secret,
        budget_seconds=60.0,
        first_retry_seconds=0.05,
        max_retry_seconds=0.4,
        timeout_seconds=5.0,
        professor_receivers=professor_receivers(repo.webhook_receivers, private_allowed=private_allowed),
        resolver=resolver,
    )


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
        webhooks = _sender(repo, private_allowed=True, urls=(f"{server.base_url}/hook",), secret=server_secret)
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


def _names(table: dict[str, list[str]]) -> Resolver:
    """The real resolver, with these names answered from the table (the test's own DNS)."""

    async def resolver(host: str, port: int) -> list[IPAddress]:
        if host in table:
            return [ipaddress.ip_address(a) for a in table[host]]
        return await resolve(host, port)

    return resolver


async def _last_error(repo: Repository, key: str) -> str:
    cursor, _ = await repo.webhook_outbox.next_for(key)
    return cursor.last_error or ""


async def test_a_professors_receiver_at_a_private_address_is_never_sent_to_and_its_queue_says_why(
    repo: Repository,
) -> None:
    """Checked at every delivery, not only when it was registered: a name may resolve elsewhere later."""
    ada, bea = await _professor(repo, "Ada"), await _professor(repo, "Bea")
    admin_secret = new_secret()
    ada_hook, bea_hook, admin_hook = (
        WebhookReceiver(new_secret()),
        WebhookReceiver(new_secret()),
        WebhookReceiver(admin_secret),
    )
    # Bea's name has a public address and a private one: a client may take either, so it is refused.
    resolver = _names({"hooks.uni.test": ["93.184.215.14", "10.1.2.3"]})
    async with serve_app(ada_hook.app()) as ada_server, serve_app(admin_hook.app()) as admin_server:
        webhooks = _sender(repo, private_allowed=False, resolver=resolver)
        await webhooks.start()
        try:
            ada_receiver = await repo.webhook_receivers.add(
                ada, url=f"{ada_server.base_url}/hook", secret=ada_hook.secret
            )
            bea_receiver = await repo.webhook_receivers.add(
                bea, url="https://hooks.uni.test/hook", secret=bea_hook.secret
            )
            await repo.webhook_receivers.add(ADMIN_ID, url=f"{admin_server.base_url}/hook", secret=admin_secret)
            await until(lambda: len(webhooks.receiver_keys) == 3, 10, "the three receivers")
            await _class_of(repo, ada)
            await _class_of(repo, bea)
            await admin_hook.wait_for(lambda: len(admin_hook.accepted) == 4)  # the administrator's: anywhere

            async def refused(key: str, words: str) -> bool:
                return words in await _last_error(repo, key)

            ada_key, bea_key = receiver_key(ada_receiver.id), receiver_key(bea_receiver.id)
            await until(lambda: refused(ada_key, "127.0.0.1 is not a public address"), 10, "Ada's refusal")
            await until(lambda: refused(bea_key, "hooks.uni.test (10.1.2.3) is not a public address"), 10, "Bea's")
        finally:
            await webhooks.stop()
    assert ada_hook.attempts == [] and ada_hook.hosts == []  # never contacted


async def test_a_professors_receiver_is_sent_to_at_the_address_looked_up_under_its_own_name(
    repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delivery goes to the address that was checked, not to whatever the name resolves to a moment later,
    and TLS still verifies the receiver's name (its certificate names nothing else)."""
    ada = await _professor(repo, "Ada")
    hook = WebhookReceiver(new_secret())
    async with serve_app(hook.app()) as server:
        async with tls_tunnel("127.0.0.1", server.port, tmp_path, names=("hooks.uni.test",)) as tunnel:
            trusting = ssl.create_default_context(cafile=str(tunnel.certificate))
            monkeypatch.setattr("farm.webhooks.sender.shared_tls_context", lambda: trusting)
            port = urlsplit(tunnel.url).port
            webhooks = _sender(repo, private_allowed=True, resolver=_names({"hooks.uni.test": ["127.0.0.1"]}))
            await webhooks.start()
            try:
                await repo.webhook_receivers.add(ada, url=f"https://hooks.uni.test:{port}/hook", secret=hook.secret)
                await until(lambda: len(webhooks.receiver_keys) == 1, 10, "Ada's receiver")
                await _class_of(repo, ada)
                await hook.wait_for(lambda: len(hook.accepted) == 2)
            finally:
                await webhooks.stop()
    assert set(hook.hosts) == {f"hooks.uni.test:{port}"} and hook.bad_signatures == 0
