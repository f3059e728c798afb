"""How the farm calls vendors (Zoom, LiveAvatar): httpx with timeouts, retried with exponential backoff and
jitter on 5xx, 429 and timeouts only. Any other answer is final and surfaces as a VendorError.

A call that creates something (a meeting, an OAuth grant, an avatar session token) is retried only when the
vendor surely did not act on it: the connection could not be made, or it answered 429 (rate limited: refused
before doing anything). After a 5xx, a timeout or a dropped connection the vendor may have done it already, and
doing it twice costs money (a second billed session, a second meeting) or burns a single-use code."""

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

    def __init__(self, vendor: str, message: str, *, status: int = 0, code: Any = None, unsent: bool = False) -> None:
        super().__init__(f"{vendor}: {message}")
        self.vendor = vendor
        self.status = status
        self.code = code
        self.message = message
        self.unsent = unsent  # the request surely never reached the vendor (no connection was made)

    @property
    def retryable(self) -> bool:
        return self.status == 0 or self.status == 429 or self.status >= 500


def _retryable(error: BaseException) -> bool:
    return isinstance(error, VendorError) and error.retryable


def _surely_not_done(error: BaseException) -> bool:
    """Safe to send again: no connection was made, or the vendor refused with 429 (rate limited, not done)."""
    return isinstance(error, VendorError) and (error.unsent or error.status == 429)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning("vendor call failed (attempt %d), retrying: %s", state.attempt_number, error)


async def with_retries(
    call: Callable[[], Awaitable[Any]],
    *,
    attempts: int = 4,
    max_wait: float = 8.0,
    initial: float = 0.25,
    creates: bool = False,
) -> Any:
    """Run `call` until it succeeds, a non-retryable VendorError is raised, or `attempts` are spent.

    With `creates`, only failures the vendor surely did not act on are retried (see the module's docstring)."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception(_surely_not_done if creates else _retryable),
        wait=wait_random_exponential(multiplier=initial, max=max_wait),
        stop=stop_after_attempt(attempts),
        before_sleep=_log_retry,
        reraise=True,
    ):
        with attempt:
            return await call()
    raise AssertionError("unreachable")


async def send(client: httpx.AsyncClient, vendor: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One HTTP call; transport failures and timeouts become VendorError(status=0), marked `unsent` when no
    connection could be made (so the vendor cannot have seen the request)."""
    try:
        return await client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise VendorError(vendor, f"{method} {url} could not connect: {type(exc).__name__}", unsent=True) from None
    except httpx.TimeoutException:
        raise VendorError(vendor, f"{method} {url} timed out") from None
    except httpx.TransportError as exc:
        raise VendorError(vendor, f"{method} {url} failed: {type(exc).__name__}") from None
