"""Delivers the webhook outbox (state/webhook_outbox.py) to every receiver, Standard Webhooks style.

The receivers are the server-wide URLs (AVATARFARM_WEBHOOK_URLS, signed with the server's secret: everyone's
messages) and the professors' own (state/webhook_receivers_repository.py, each signed with its own secret: only its
professor's messages; the administrator's get everyone's). Professors' receivers are read again whenever one is
added or removed, and sent to only at a checked public address unless the deployment allows private ones
(farm/webhooks/receiver_address.py). One asyncio task per receiver sends its messages in order: a message is retried
(same webhook-id, freshly signed, exponential backoff) until it is answered 2xx or its retry budget — counted from
when the change happened — is spent; then it is given up with a `webhook.given_up` event and the next one goes.
Progress is in the database, so a restarted manager resumes where the last one stopped (a delivery may then be
repeated: receivers dedupe on webhook-id, as Standard Webhooks asks). Receivers are called with a bounded timeout on
their own tasks, so a slow or dead receiver delays only its own queue, never the farm.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook
from tenacity import RetryCallState, wait_exponential_jitter

from farm.cancellation import finish_cancelled
from farm.settings import Settings
from farm.tls_context import shared_tls_context
from farm.webhooks.receiver_address import ReceiverAddressError, Resolver, checked_address, pinned, resolve
from farm.webhooks.secret import ensure_webhook_secret
from state.repository import Repository
from state.webhook_outbox import WEBHOOK_TYPES, WebhookMessage
from state.webhook_receivers_repository import RECEIVER_ADDED, RECEIVER_REMOVED

log = logging.getLogger("avatarfarm.webhooks")

IDLE_POLL_SECONDS = 5.0
PRUNE_EVERY_SECONDS = 3600.0
USER_AGENT = "avatarfarm-webhooks/1"
# Events after which the professors' receivers are read again (a disabled professor's receivers get nothing).
RECEIVERS_CHANGED = frozenset({RECEIVER_ADDED, RECEIVER_REMOVED, "professor.disabled", "professor.enabled"})


def shown_url(url: str) -> str:
    """The URL as events show it: no credentials, query or fragment (they may carry a receiver's token)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


@dataclass(frozen=True)
class Receiver:
    key: str  # its cursor in the outbox: the URL of a server-wide receiver, 'receiver:<id>' for a professor's
    url: str
    secret: str
    owner_id: str | None  # whose messages it gets; None: everyone's
    # A professor's own: looked up once per delivery and sent to at that address (public_only: only if public).
    pinned: bool = False
    public_only: bool = False

    @property
    def signer(self) -> Webhook:
        return Webhook(self.secret)


ReceiverSource = Callable[[], Awaitable[list[Receiver]]]


class WebhookSender:
    def __init__(
        self,
        repository: Repository,
        urls: tuple[str, ...],
        secret: str | None,
        *,
        budget_seconds: float,
        first_retry_seconds: float,
        max_retry_seconds: float,
        timeout_seconds: float,
        clock: Callable[[], float] = time.time,
        professor_receivers: ReceiverSource | None = None,
        resolver: Resolver = resolve,
    ) -> None:
        self.outbox = repository.webhook_outbox
        self._bus = repository.bus
        self.urls = urls
        self._server_wide = [Receiver(url, url, secret, None) for url in urls] if secret else []
        self._professor_receivers = professor_receivers
        self._resolver = resolver
        self._signers: dict[str, Webhook] = {}
        self._budget = budget_seconds
        self._backoff = wait_exponential_jitter(
            multiplier=first_retry_seconds, max=max_retry_seconds, jitter=first_retry_seconds
        )
        self._timeout = timeout_seconds
        self._clock = clock
        self._wakes: dict[str, asyncio.Event] = {}
        self._receivers: dict[str, asyncio.Task[None]] = {}  # by key
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None
        self._refreshing = asyncio.Lock()

    @classmethod
    def from_settings(
        cls,
        repository: Repository,
        settings: Settings,
        professor_receivers: ReceiverSource | None = None,
        clock: Callable[[], float] = time.time,
    ) -> WebhookSender:
        urls = settings.webhook_targets
        secret = ensure_webhook_secret(settings) if urls else None
        if secret is not None and secret.generated:
            log.info("generated a webhook signing secret, kept in %s", secret.source)
        return cls(
            repository,
            urls,
            secret.value if secret else None,  # no receivers: nothing is signed (the outbox is only pruned)
            budget_seconds=settings.webhook_retry_budget_seconds,
            first_retry_seconds=settings.webhook_first_retry_seconds,
            max_retry_seconds=settings.webhook_max_retry_seconds,
            timeout_seconds=settings.webhook_timeout_seconds,
            professor_receivers=professor_receivers,
            clock=clock,
        )

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            verify=shared_tls_context(),
            timeout=self._timeout,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )
        await self._refresh()
        self._tasks = [asyncio.create_task(self._listen(), name="webhooks: wake on new messages")]
        self._tasks.append(asyncio.create_task(self._prune(), name="webhooks: prune"))

    async def _current(self) -> list[Receiver]:
        theirs = await self._professor_receivers() if self._professor_receivers is not None else []
        return self._server_wide + theirs

    async def _refresh(self) -> None:
        """Start a task for each receiver that has none, and stop those of receivers that are gone."""
        async with self._refreshing:
            wanted = {r.key: r for r in await self._current()}
            for key in [k for k in self._receivers if k not in wanted]:
                task = self._receivers.pop(key)
                task.cancel()
                await finish_cancelled(task, task.get_name())
                self._wakes.pop(key, None)
            for key, receiver in wanted.items():
                if key in self._receivers:
                    continue
                await self.outbox.open_cursor(key, receiver.owner_id)
                self._wakes[key] = asyncio.Event()
                self._receivers[key] = asyncio.create_task(
                    self._deliver_to(receiver), name=f"webhooks {shown_url(receiver.url)}"
                )

    @property
    def receiver_keys(self) -> list[str]:
        return list(self._receivers)

    async def stop(self) -> None:
        tasks = self._tasks + list(self._receivers.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            await finish_cancelled(task, task.get_name())
        self._tasks = []
        self._receivers = {}
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ---- waking up -----------------------------------------------------------------------------------------

    def _wake_all(self) -> None:
        for wake in self._wakes.values():
            wake.set()

    async def _listen(self) -> None:
        """New messages wake the senders at once; a missed wake-up costs at most IDLE_POLL_SECONDS."""
        while True:
            subscription = self._bus.subscribe()
            try:
                async for event in subscription:
                    if event.kind in WEBHOOK_TYPES:
                        self._wake_all()
                    elif event.kind in RECEIVERS_CHANGED:
                        await self._refresh()
            finally:
                subscription.close()
            await self._refresh()  # lagged or closed: receivers may have changed meanwhile
            self._wake_all()  # and the senders re-read the outbox anyway
            await asyncio.sleep(1.0)

    async def _pause(self, key: str, seconds: float) -> None:
        wake = self._wakes[key]
        wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, seconds)):  # (not wait_for: it can drop a cancellation)
                await wake.wait()

    async def _prune(self) -> None:
        while True:
            try:
                await self.outbox.prune(self.receiver_keys, older_than=self._clock() - self._budget - 3600.0)
            except Exception:
                log.exception("pruning the webhook outbox failed")
            await asyncio.sleep(PRUNE_EVERY_SECONDS)

    # ---- delivering ----------------------------------------------------------------------------------------

    async def _deliver_to(self, receiver: Receiver) -> None:
        while True:
            try:
                await self._step(receiver)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end this receiver's queue
                log.exception("webhook delivery to %s failed unexpectedly", shown_url(receiver.url))
                await asyncio.sleep(1.0)

    async def _step(self, receiver: Receiver) -> None:
        key, url = receiver.key, receiver.url
        cursor, message = await self.outbox.next_for(key)
        if message is None:
            await self._pause(key, IDLE_POLL_SECONDS)
            return
        now = self._clock()
        if cursor.attempts and cursor.next_attempt_at > now:
            await asyncio.sleep(cursor.next_attempt_at - now)  # a retry is not hurried by new messages
            return
        error = await self._send(receiver, message)
        if error is None:
            await self.outbox.delivered(key, message)
            return
        now = self._clock()
        deadline = message.created_at + self._budget
        if now >= deadline:
            log.warning("webhook %s to %s given up: %s", message.webhook_id, shown_url(url), error)
            await self.outbox.give_up(key, message, shown_url=shown_url(url), error=error)
            return
        retry_at = min(deadline, now + self._delay(cursor.attempts + 1))
        await self.outbox.failed(key, message, error=error, retry_at=retry_at)

    def _delay(self, attempt: int) -> float:
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = attempt
        return float(self._backoff(state))

    def headers(self, message: WebhookMessage, at: datetime, receiver: Receiver | None = None) -> dict[str, str]:
        """The signed headers of `message` for `receiver` (default: the server-wide receivers' secret)."""
        chosen = receiver or (self._server_wide[0] if self._server_wide else None)
        assert chosen is not None, "a sender with receivers has a secret"
        signer = self._signers.get(chosen.secret)
        if signer is None:
            signer = self._signers[chosen.secret] = chosen.signer
        return {
            "content-type": "application/json",
            "webhook-id": message.webhook_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signer.sign(message.webhook_id, at, message.payload),
        }

    async def _send(self, receiver: Receiver, message: WebhookMessage) -> str | None:
        """POST one message; None when the receiver took it, else what went wrong in words."""
        assert self._client is not None
        headers = self.headers(message, datetime.fromtimestamp(int(self._clock()), tz=UTC), receiver)
        url, extensions = receiver.url, {}
        if receiver.pinned:
            try:
                address = await checked_address(receiver.url, self._resolver, public_only=receiver.public_only)
            except ReceiverAddressError as exc:
                return str(exc)
            request = pinned(receiver.url, address)
            url, extensions = request.url, request.extensions
            headers.update(request.headers)
        try:
            response = await self._client.post(
                url, content=message.payload.encode("utf-8"), headers=headers, extensions=extensions
            )
        except httpx.TimeoutException:
            return f"no answer within {self._timeout:g} s"
        except httpx.HTTPError as exc:
            return f"could not reach the receiver ({type(exc).__name__})"
        if 200 <= response.status_code < 300:
            return None
        return f"the receiver answered {response.status_code}"
