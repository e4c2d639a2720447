"""How hard the worker tries: attempts, backoff with full jitter, leases, retention.

Backoff follows the "full jitter" scheme (Brooker, *Exponential Backoff And Jitter*, AWS
Architecture Blog, 2015): after the n-th failed attempt the next one waits a uniformly random
time between 0 and ``min(cap, base · 2^(n-1))`` — 30 s, 1 min, 2 min … up to an hour by
default — so that receivers coming back from an outage are not hit by every worker at once.
A peer's ``Retry-After`` is honoured: the wait is at least what it asked (up to a day).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

MAX_RETRY_AFTER = 86_400.0


@dataclass(frozen=True)
class Policy:
    """The worker's settings (``REGULARS_DELIVERY_*``, ``REGULARS_WEBHOOK_DISABLE_AFTER``)."""

    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 300.0
    batch: int = 500
    disable_after: int = 10
    retention_days: int = 30

    def backoff(
        self,
        attempts: int,
        retry_after: float | None = None,
        uniform: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait after ``attempts`` failed attempts (1 after the first).

        >>> policy = Policy(backoff_seconds=30, backoff_max_seconds=3600)
        >>> policy.backoff(1, uniform=lambda: 1.0), policy.backoff(4, uniform=lambda: 1.0)
        (30.0, 240.0)
        >>> policy.backoff(20, uniform=lambda: 1.0), policy.backoff(1, 90, uniform=lambda: 0.5)
        (3600.0, 90.0)
        """
        ceiling = min(self.backoff_max_seconds, self.backoff_seconds * 2.0 ** max(0, attempts - 1))
        wait = uniform() * ceiling
        if retry_after is not None:
            wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
        return float(wait)
