"""One retry policy for every client-side loop: what is worth another try, and when.

* :func:`retryable` sorts errors: the hub out of reach (a transport error, raised by
  :class:`~corral.client.http.HubClient` as
  :class:`~corral.errors.ServerUnavailableError`), ``502``/``503``/``504`` and ``429``
  are worth another try; anything else (a ``404``, a ``409``, bad input) is not.
* :class:`RetryPolicy` says how long to wait: the first pause, multiplied by
  ``factor`` after each failure up to ``cap``, each pause shortened by a random
  ``jitter`` fraction so that many clients that failed together do not come back
  together. A ``Retry-After`` header (of a ``429`` or ``503``) is honoured.
* :class:`Backoff` is one loop's state (``next()`` after a failure, ``reset()`` after
  a success), for loops that run forever (followers, shippers, heartbeats);
  :meth:`RetryPolicy.call` is the whole loop for one action tried a few times.

Example::

    policy = RetryPolicy(first=0.25, cap=8.0, retries=3)
    task = policy.call(lambda: client.get(f"tasks/{task_id}"), what="reading the task")

    backoff = RetryPolicy(first=0.5, cap=30.0).backoff()
    while not stop.is_set():
        try:
            poll()
        except CorralError as e:
            if not retryable(e):
                raise
            stop.wait(backoff.next(e))
        else:
            backoff.reset()
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from corral.errors import CorralError, ServerUnavailableError

log = logging.getLogger("corral.client")

T = TypeVar("T")

#: answers that may pass if asked again: too many requests, the hub (or a proxy) busy
RETRY_STATUSES: frozenset[int] = frozenset({429, 502, 503, 504})
#: every server-side failure and timeout: for work that must never be dropped (the
#: SDK's outbox keeps such an item and tries again rather than losing it)
SERVER_STATUSES: frozenset[int] = frozenset({408, 425, 429, *range(500, 600)})
#: longest ``Retry-After`` honoured, in seconds (a hub asking for more gets this)
RETRY_AFTER_MAX = 300.0


def retryable(error: BaseException, statuses: Collection[int] = RETRY_STATUSES) -> bool:
    """Whether ``error`` may pass if the same request is made again.

    Args:
        error: what the request raised.
        statuses: HTTP statuses worth another try (``RETRY_STATUSES`` by default).
    """
    if isinstance(error, (ServerUnavailableError, httpx.TransportError)):
        return True  # out of reach (ServerUnavailableError is also the hub's own 503)
    return isinstance(error, CorralError) and error.status in statuses


def retry_after(error: BaseException | None) -> float | None:
    """The pause a ``Retry-After`` header asked for (seconds), or ``None``."""
    headers = getattr(error, "headers", None) or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), RETRY_AFTER_MAX)
    except ValueError:  # an HTTP date: rare from proxies; take the longest usual pause
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before each new try, and how many tries.

    Args:
        first: the first pause, in seconds.
        cap: the longest pause.
        factor: each pause is the previous one times this.
        jitter: a fraction (0-1): each pause is drawn between ``(1 - jitter)`` and
            ``1`` times its nominal length.
        retries: tries after the first (``None``: no limit; for :class:`Backoff`).
        statuses: HTTP statuses worth another try (see :func:`retryable`).
        rng: the source of jitter (a seeded ``random.Random`` makes pauses repeatable).
    """

    first: float = 0.5
    cap: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2
    retries: int | None = None
    statuses: Collection[int] = RETRY_STATUSES
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempt: int, error: BaseException | None = None) -> float:
        """The pause before try ``attempt + 1`` (``attempt`` counts failures from 0)."""
        nominal = min(self.cap, self.first * self.factor ** min(attempt, 64))
        pause = nominal * (1.0 - self.jitter * self.rng.random())
        asked = retry_after(error)
        return pause if asked is None else max(pause, asked)

    def retryable(self, error: BaseException) -> bool:
        return retryable(error, self.statuses)

    def backoff(self) -> Backoff:
        """A fresh loop state that follows this policy."""
        return Backoff(self)

    def call(
        self,
        action: Callable[[], T],
        *,
        what: str = "request",
        stop: threading.Event | None = None,
        sleep: Callable[[float], object] = time.sleep,
    ) -> T:
        """``action()``, tried again while it fails with a retryable error.

        Raises the last error when it is not retryable, when ``retries`` are used up,
        or when ``stop`` is set during a pause.
        """
        attempt = 0
        while True:
            try:
                return action()
            except Exception as e:
                if not self.retryable(e) or (self.retries is not None and attempt >= self.retries):
                    raise
                pause = self.delay(attempt, e)
                attempt += 1
                limit = "" if self.retries is None else f" of {self.retries}"
                log.warning("%s failed (%s); retry %d%s in %.2gs", what, e, attempt, limit, pause)
                if stop is not None:
                    if stop.wait(pause):
                        raise
                else:
                    sleep(pause)


class Backoff:
    """Growing pauses of one loop that runs until it is stopped.

    Example:
        >>> b = RetryPolicy(first=0.5, cap=2.0, jitter=0).backoff()
        >>> [b.next(), b.next(), b.next(), b.next()]
        [0.5, 1.0, 2.0, 2.0]
        >>> b.reset(); b.next()
        0.5
    """

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        #: failures since the last success
        self.failures = 0

    def next(self, error: BaseException | None = None) -> float:
        """The pause before the next try, after a failure (``error`` may ask for longer)."""
        pause = self.policy.delay(self.failures, error)
        self.failures += 1
        return pause

    def reset(self) -> None:
        """A try succeeded: the next failure starts over with the shortest pause."""
        self.failures = 0
