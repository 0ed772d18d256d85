"""The SDK's background threads leave SIGINT and SIGTERM to the main thread, and keep
what they write out of the console capture (:func:`uncaptured`).

Linux delivers a signal sent to the process to any thread that does not block it.
Python runs its handlers in the main thread only, so when a background thread
receives SIGTERM, Python notes it, but a main thread blocked in ``time.sleep`` or a
socket read is not woken, and the script does not stop. Blocking both signals in
every long-lived thread of ours sends them to the main thread.

A subprocess inherits the mask of the thread that starts it: the ``git`` commands
of the code capture run with both signals blocked, which their timeouts bound.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_SIGNALS = {signal.SIGINT, signal.SIGTERM}

_thread = threading.local()


@contextmanager
def _blocked() -> Iterator[None]:
    if not hasattr(signal, "pthread_sigmask"):  # Windows: signals reach the main thread
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def start(thread: threading.Thread) -> threading.Thread:
    """Start ``thread`` with SIGINT and SIGTERM blocked in it (not in the caller)."""
    with _blocked():
        thread.start()
    return thread


def block_signals() -> None:
    """Block SIGINT and SIGTERM in the calling thread (an executor's ``initializer``)."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)


@contextmanager
def uncaptured() -> Iterator[None]:
    """What this thread writes to ``sys.stdout``/``sys.stderr`` in the block is not taken
    by the console capture (``corral.sdk.capture.console``); it still reaches the terminal.

    The thread that ships the console runs inside it: a warning it logs about a batch
    must not become another batch.

    Example:
        >>> with uncaptured():
        ...     print("shown, not sent")  # doctest: +SKIP
    """
    previous = getattr(_thread, "off", False)
    _thread.off = True
    try:
        yield
    finally:
        _thread.off = previous


def is_uncaptured() -> bool:
    """Whether this thread is inside :func:`uncaptured`."""
    return bool(getattr(_thread, "off", False))
