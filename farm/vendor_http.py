"""How the farm calls vendors (Zoom, LiveAvatar): httpx with timeouts, retried with exponential backoff and
jitter on 5xx, 429 and timeouts only. Any other answer is final and surfaces as a VendorError."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

log = logging.getLogger("avatarfarm.vendors")

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class VendorError(Exception):
    """A vendor refused or failed; `status` is the HTTP status (0: no answer), `code` the vendor's own."""

    def __init__(self, vendor: str, message: str, *, status: int = 0, code: Any = None) -> None:
        super().__init__(f"{vendor}: {message}")
        self.vendor = vendor
        self.status = status
        self.code = code
        self.message = message

    @property
    def retryable(self) -> bool:
        return self.status == 0 or self.status == 429 or self.status >= 500


def _retryable(error: BaseException) -> bool:
    return isinstance(error, VendorError) and error.retryable


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning("vendor call failed (attempt %d), retrying: %s", state.attempt_number, error)


async def with_retries(
    call: Callable[[], Awaitable[Any]], *, attempts: int = 4, max_wait: float = 8.0, initial: float = 0.25
) -> Any:
    """Run `call` until it succeeds, a non-retryable VendorError is raised, or `attempts` are spent."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception(_retryable),
        wait=wait_random_exponential(multiplier=initial, max=max_wait),
        stop=stop_after_attempt(attempts),
        before_sleep=_log_retry,
        reraise=True,
    ):
        with attempt:
            return await call()
    raise AssertionError("unreachable")


async def send(client: httpx.AsyncClient, vendor: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One HTTP call; transport failures and timeouts become VendorError(status=0)."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise VendorError(vendor, f"{method} {url} timed out") from None
    except httpx.TransportError as exc:
        raise VendorError(vendor, f"{method} {url} failed: {type(exc).__name__}") from None
