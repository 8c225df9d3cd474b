"""Retrying a remote call: exponential backoff with jitter, within a bounded total time.

Remote stores wrap each request in :meth:`RetryPolicy.call`. Only errors the caller classifies
as transient (connection refused or reset, timeouts, HTTP 429 and 5xx) are retried; anything
else (a bad name, a missing run) raises at once. The policy bounds both the number of attempts
and the total time, so a dead server costs a known, small delay on the background writer and
never an unbounded one.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["RetryPolicy"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    Attributes:
        attempts: tries in all, the first included.
        first_delay_s: wait before the second try; doubled after each failure.
        max_delay_s: the longest single wait.
        total_s: no new try starts once this much time has passed since the first.
    """

    attempts: int = 4
    first_delay_s: float = 0.5
    max_delay_s: float = 8.0
    total_s: float = 30.0

    def delays(self) -> list[float]:
        """The waits between tries, before jitter (for documentation and tests)."""
        out, delay = [], self.first_delay_s
        for _ in range(self.attempts - 1):
            out.append(min(delay, self.max_delay_s))
            delay *= 2
        return out

    def call(self, fn: Callable[[], T], is_transient: Callable[[BaseException], bool],
             sleep: Callable[[float], None] = time.sleep) -> T:
        """Run ``fn``, retrying transient failures; the last failure propagates unchanged."""
        start = time.monotonic()
        for delay in [*self.delays(), None]:
            try:
                return fn()
            except Exception as exc:
                if delay is None or not is_transient(exc):
                    raise
                # Jitter spreads the retries of several writers hitting one recovering server.
                wait = delay * random.uniform(0.5, 1.0)
                if time.monotonic() - start + wait > self.total_s:
                    raise
                sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
