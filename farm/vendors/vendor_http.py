"""How the farm calls vendors (Zoom, LiveAvatar): httpx with timeouts, retried with exponential backoff and
jitter on 5xx, 429 and timeouts only. Any other answer is final and surfaces as a VendorError.

A call that creates something (a meeting, an OAuth grant, an avatar session token) is retried only when the
vendor surely did not act on it: the connection could not be made, or it answered 429 (rate limited: refused
before doing anything). After a 5xx, a timeout or a dropped connection the vendor may have done it already, and
doing it twice costs money (a second billed session, a second meeting) or burns a single-use code.

A 429 is sent again only after the wait its Retry-After header asks for (never sooner); one that asks for more
than `longest_retry_after` seconds is given up at once, with the wait in the error."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.wait import wait_base

log = logging.getLogger("avatarfarm.vendors")

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# The longest Retry-After a call waits for; a vendor asking for more is given up on (the caller says why).
LONGEST_RETRY_AFTER = 30.0


class VendorError(Exception):
    """A vendor refused or failed; `status` is the HTTP status (0: no answer), `code` the vendor's own."""

    def __init__(
        self,
        vendor: str,
        message: str,
        *,
        status: int = 0,
        code: Any = None,
        unsent: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{vendor}: {message}")
        self.vendor = vendor
        self.status = status
        self.code = code
        self.message = message
        self.unsent = unsent  # the request surely never reached the vendor (no connection was made)
        self.retry_after = retry_after  # seconds the vendor asked us to wait (429's Retry-After)

    @property
    def retryable(self) -> bool:
        return self.status == 0 or self.status == 429 or self.status >= 500


def retry_after(response: httpx.Response) -> float | None:
    """The wait a Retry-After header asks for, in seconds (delta-seconds or an HTTP date); None without one."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _waits_too_long(error: VendorError, longest: float) -> bool:
    return error.retry_after is not None and error.retry_after > longest


def _retryable(longest: float) -> Callable[[BaseException], bool]:
    def check(error: BaseException) -> bool:
        return isinstance(error, VendorError) and error.retryable and not _waits_too_long(error, longest)

    return check


def _surely_not_done(longest: float) -> Callable[[BaseException], bool]:
    """Safe to send again: no connection was made, or the vendor refused with 429 (rate limited, not done)."""

    def check(error: BaseException) -> bool:
        return (
            isinstance(error, VendorError)
            and (error.unsent or error.status == 429)
            and not _waits_too_long(error, longest)
        )

    return check


class _wait_as_asked(wait_base):
    """The vendor's Retry-After when it gave one, else exponential backoff with jitter."""

    def __init__(self, initial: float, max_wait: float) -> None:
        self._backoff = wait_random_exponential(multiplier=initial, max=max_wait)

    def __call__(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, VendorError) and error.retry_after is not None:
            return error.retry_after
        return float(self._backoff(retry_state))


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
    longest_retry_after: float = LONGEST_RETRY_AFTER,
) -> Any:
    """Run `call` until it succeeds, a non-retryable VendorError is raised, or `attempts` are spent.

    With `creates`, only failures the vendor surely did not act on are retried (see the module's docstring)."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception((_surely_not_done if creates else _retryable)(longest_retry_after)),
        wait=_wait_as_asked(initial, max_wait),
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
