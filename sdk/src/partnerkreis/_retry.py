"""When management calls try again, and how long they wait: pure functions, no sleeping.

A call is retried after a connection error, a timeout, ``429`` or a ``5xx``
answer, at most ``max_retries`` times.  The wait doubles from ``backoff`` up to
``max_backoff`` with up to a quarter taken off at random (so many clients that
failed together do not come back together), unless the server sent
``Retry-After``: that is honoured as sent, up to ``max_retry_after``; a server
asking for a longer pause gets no retry, the error is raised at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Backoff:
    max_retries: int = 2
    backoff: float = 0.5  # seconds before the first retry
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    jitter: float = 0.25  # fraction of the wait taken off at random, at most

    def delay(
        self,
        attempt: int,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``; None: give up."""
        if attempt >= self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        wait = min(self.max_backoff, self.backoff * 2.0**attempt)
        return wait * (1 - self.jitter * rand())


def retryable(status: int) -> bool:
    return status in RETRY_STATUSES
