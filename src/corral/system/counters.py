"""The machine's cumulative counters at one instant; two readings give rates.

Rates are computed between two readings rather than with psutil's process-wide
``cpu_percent`` state, which the user's own code may also use: the SDK's resource
monitor and the agent's heartbeat each keep their previous reading.

Example:
    >>> before = read_counters()
    >>> after = read_counters()
    >>> cpu = cpu_percent(before, after)  # None when no CPU time passed
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

log = logging.getLogger("corral.system")


@dataclass(frozen=True)
class Counters:
    """Cumulative counters of the whole machine at ``at`` (``time.monotonic()``).

    CPU in seconds (busy and total over every core), disk and network in bytes;
    ``None`` where the machine has no such counter (containers often lack disk ones).
    """

    at: float
    cpu_busy: float = 0.0
    cpu_total: float = 0.0
    disk_read: int | None = None
    disk_write: int | None = None
    net_rx: int | None = None
    net_tx: int | None = None


def cpu_times() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, the way psutil counts them."""
    import psutil

    times = psutil.cpu_times()
    total = sum(times)
    # guest time is already included in user time on Linux
    total -= getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


def read_counters() -> Counters:
    """The counters now; what cannot be read is left at its default. Raises only when
    psutil itself cannot be imported."""
    import psutil

    at = time.monotonic()
    cpu_busy = cpu_total = 0.0
    disk_read = disk_write = net_rx = net_tx = None
    try:
        cpu_busy, cpu_total = cpu_times()
    except Exception as e:
        log.debug("cpu times unavailable: %s", e)
    try:
        disk = psutil.disk_io_counters()
        if disk is not None:
            disk_read, disk_write = disk.read_bytes, disk.write_bytes
    except Exception as e:  # containers often have no disk counters
        log.debug("disk counters unavailable: %s", e)
    try:
        net = psutil.net_io_counters()
        if net is not None:
            net_rx, net_tx = net.bytes_recv, net.bytes_sent
    except Exception as e:
        log.debug("network counters unavailable: %s", e)
    return Counters(at, cpu_busy, cpu_total, disk_read, disk_write, net_rx, net_tx)


def cpu_percent(before: Counters, now: Counters) -> float | None:
    """The machine's CPU use between two readings, 0-100 (``None``: no CPU time passed).

    Example:
        >>> cpu_percent(Counters(0.0, 1.0, 4.0), Counters(1.0, 2.0, 6.0))
        50.0
    """
    total = now.cpu_total - before.cpu_total
    if total <= 0:
        return None
    busy = 100.0 * (now.cpu_busy - before.cpu_busy) / total
    return min(100.0, max(0.0, busy))


def byte_rate(new: int | None, old: int | None, seconds: float) -> float | None:
    """Bytes per second between two readings of one counter (``None``: not measurable).

    A counter that went backwards (a network interface reset) counts as no traffic.

    Example:
        >>> byte_rate(3000, 1000, 2.0)
        1000.0
    """
    if new is None or old is None or seconds <= 0:
        return None
    return max(0, new - old) / seconds
