"""How files move: retries with backoff, folders in parallel, uploads in the background.

* :func:`retrying` retries transient failures (the service out of reach,
  :class:`~corral.errors.ServerUnavailableError`, or a 5xx or 429 answer) with a
  doubling pause (0.25 s, 0.5 s, 1 s... with jitter; the client's
  :class:`~corral.client.retry.RetryPolicy`); anything else is raised at once.
* :func:`run_all` moves a folder's files a few at a time; the first failure stops it.
* :data:`background` holds the uploads started with ``wait_for_upload=False``;
  its threads are joined at interpreter exit, so they finish before it ends.

Example::

    retrying(lambda: backend.upload(path, url, None), retries=3, what=f"upload to {url}")
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TypeVar

from corral.client.retry import RetryPolicy, retryable
from corral.sdk import threads
from corral.sdk.storage.backends import StorageBackend
from corral.sdk.storage.progress import ProgressFn

log = logging.getLogger(__name__)

T = TypeVar("T")

#: the first pause before a retry, in seconds; it doubles up to BACKOFF_MAX
BACKOFF = 0.25
BACKOFF_MAX = 8.0
#: files of one folder moved at once
FOLDER_WORKERS = 8
#: background uploads at once
BACKGROUND_WORKERS = 4


#: what a file transfer retries: the hub out of reach, any server error, a 429
STATUSES = frozenset({429, *range(500, 600)})


def transient(e: BaseException) -> bool:
    """Whether ``e`` may pass if tried again: out of reach, or a 5xx (or 429) answer."""
    return retryable(e, STATUSES)


def retrying(action: Callable[[], T], retries: int, what: str) -> T:
    """``action()``, tried again up to ``retries`` times while it fails transiently."""
    policy = RetryPolicy(first=BACKOFF, cap=BACKOFF_MAX, retries=retries, statuses=STATUSES)
    return policy.call(action, what=what)


def upload(
    backend: StorageBackend, local: Path, url: str, retries: int, progress: ProgressFn | None
) -> str:
    retrying(lambda: backend.upload(local, url, progress), retries, f"upload to {url}")
    return url


def download(
    backend: StorageBackend, url: str, dest: Path, retries: int, progress: ProgressFn | None
) -> None:
    retrying(lambda: backend.download(url, dest, progress), retries, f"download of {url}")


def run_all(jobs: list[Callable[[], object]], max_workers: int | None = None) -> None:
    """Run ``jobs`` in threads (``max_workers`` at once, default :data:`FOLDER_WORKERS`);
    the first failure cancels the ones not started and is raised."""
    if not jobs:
        return
    workers = max(1, min(max_workers or FOLDER_WORKERS, len(jobs)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(job) for job in jobs]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            future.cancel()
        for future in futures:
            error = future.exception() if future in done else None
            if error is not None:
                raise error


class BackgroundUploads:
    """The uploads started with ``wait_for_upload=False``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[str]] = []

    def submit(self, job: Callable[[], str]) -> Future[str]:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    BACKGROUND_WORKERS, "corral-upload", initializer=threads.block_signals
                )
            future = self._pool.submit(job)
            self._pending.append(future)
            return future

    def wait(self, timeout: float | None) -> list[str]:
        with self._lock:
            pending = list(self._pending)
        done, not_done = wait(pending, timeout=timeout)
        with self._lock:
            self._pending = [f for f in self._pending if f not in done]
        failed = [e for e in (f.exception() for f in pending if f in done) if e is not None]
        if failed:
            for error in failed[1:]:
                log.error("background upload failed: %s", error)
            raise failed[0]
        if not_done:
            raise TimeoutError(f"{len(not_done)} uploads still running after {timeout}s")
        return [f.result() for f in pending]


#: the process's background uploads
background = BackgroundUploads()
