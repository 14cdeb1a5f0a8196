"""Retry policy of the download layer: bounded attempts, exponential backoff, ``Retry-After``."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from met_inputs.fetch.errors import FetchError, redact_url

__all__ = ["RetryPolicy", "Transient", "parse_retry_after", "with_retries"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one URL.

    Parameters
    ----------
    retries : int
        Further attempts after the first one fails for a passing reason (connection error, time-out,
        HTTP 429 or 5xx, a connection dropped mid-way).
    timeout_s : float
        Connect and read time-out of each request [s].
    backoff_s : float
        Wait before the first retry [s]; doubles at every further retry.
    max_backoff_s : float
        Ceiling of the exponential wait [s].
    max_retry_after_s : float
        Longest ``Retry-After`` honoured [s]; a server asking for longer ends the download.
    """

    retries: int = 3
    timeout_s: float = 60.0
    backoff_s: float = 2.0
    max_backoff_s: float = 60.0
    max_retry_after_s: float = 600.0

    @classmethod
    def from_source(cls, source: Any) -> RetryPolicy:
        """Policy of a :class:`configs.sources.SourceConfig`: ``retries``, ``timeout_s`` and the
        ``options`` ``backoff_s``, ``max_backoff_s``, ``max_retry_after_s``."""
        opts = source.options
        return cls(
            retries=source.retries,
            timeout_s=source.timeout_s,
            backoff_s=float(opts.get("backoff_s", cls.backoff_s)),
            max_backoff_s=float(opts.get("max_backoff_s", cls.max_backoff_s)),
            max_retry_after_s=float(opts.get("max_retry_after_s", cls.max_retry_after_s)),
        )

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based); ``Retry-After`` wins when given."""
        if retry_after is not None:
            return max(retry_after, 0.0)
        return min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)


class Transient(Exception):
    """A failure worth retrying (after ``retry_after`` seconds when the server said so)."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); ``None`` if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def with_retries(url: str, func: Callable[[], T], policy: RetryPolicy, sleep: Callable[[float], None]) -> T:
    """Call ``func`` until it succeeds, retrying on :class:`Transient` as ``policy`` allows.

    Raises
    ------
    FetchError
        Naming the URL and the last reason, when attempts run out or the server asks to wait longer
        than ``policy.max_retry_after_s``.
    """
    attempt = 0
    while True:
        try:
            return func()
        except Transient as exc:
            attempt += 1
            if attempt > policy.retries:
                raise FetchError(url, f"{exc.reason}; gave up after {attempt} attempts") from None
            if exc.retry_after is not None and exc.retry_after > policy.max_retry_after_s:
                raise FetchError(
                    url,
                    f"{exc.reason}; server asks to retry after {exc.retry_after:.0f} s, "
                    f"longer than max_retry_after_s={policy.max_retry_after_s:g}",
                ) from None
            wait = policy.delay(attempt, exc.retry_after)
            log.warning("%s: %s; retry %d/%d in %.1f s", redact_url(url), exc.reason, attempt, policy.retries, wait)
            sleep(wait)
