"""The in-memory twin of every channel, for tests of the code that delivers.

It records each attempt and each delivery, and can be told to fail: ``fail_next(3)`` makes
the next three attempts come back retryable (or with any outcome you give), after which it
delivers again. Safe to share between worker threads.
"""

from __future__ import annotations

import threading
from collections import deque

from regulars.channels.base import Channel, Delivery, Outcome


class InMemoryChannel(Channel):
    """Delivers to a list.

    >>> channel = InMemoryChannel()
    >>> channel.fail_next(1)
    >>> channel.send(Delivery("1", "points.earned")).retryable
    True
    >>> channel.send(Delivery("1", "points.earned")).ok
    True
    >>> [d.id for d in channel.sent], len(channel.attempts)
    (['1'], 2)
    """

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self.sent: list[Delivery] = []
        self.attempts: list[Delivery] = []
        self.closed = False
        self._failures: deque[Outcome] = deque()
        self._lock = threading.Lock()

    def fail_next(self, times: int, outcome: Outcome | None = None) -> None:
        """Answer the next ``times`` attempts with ``outcome`` (a retryable failure if None)."""
        outcome = outcome or Outcome.retry("failing on purpose (InMemoryChannel.fail_next)")
        with self._lock:
            self._failures.extend([outcome] * times)

    def send(self, delivery: Delivery) -> Outcome:
        with self._lock:
            self.attempts.append(delivery)
            if self._failures:
                return self._failures.popleft()
            self.sent.append(delivery)
            return Outcome.delivered()

    def close(self) -> None:
        self.closed = True
