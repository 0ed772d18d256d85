"""Report the machine's resource use while a task runs: CPU, memory, disk, network, GPUs.

A daemon thread samples every ``interval`` seconds and hands each value to a
``report(title, series, value, iteration)`` callback (the task's scalar reporter),
under the titles ``:monitor:machine`` and ``:monitor:gpu``. The iteration is the
number of whole seconds since :meth:`ResourceMonitor.start`.

Rates (disk and network MB/s, CPU %) are computed from counters between two
samples, so they do not depend on psutil's process-wide ``cpu_percent`` state,
which the user's code may also use.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from corral.sdk import threads

log = logging.getLogger("corral.sdk.capture")

MACHINE = ":monitor:machine"
GPU = ":monitor:gpu"
_GIB = 1024**3
_MIB = 1024**2

Report = Callable[[str, str, float, int], None]


def load_nvml() -> Any:
    """The initialised ``pynvml`` module, or ``False`` (not installed, no driver, no GPU)."""
    try:
        import pynvml

        pynvml.nvmlInit()
        return pynvml
    except Exception as e:
        log.debug("NVML unavailable: %s", e)
        return False


def release_nvml(nvml: Any) -> None:
    """Shut down what :func:`load_nvml` gave (``False`` or ``None``: nothing to do)."""
    if nvml:
        try:
            nvml.nvmlShutdown()
        except Exception:  # the driver went away: nothing left to release
            pass


@dataclass
class _Counters:
    """Cumulative counters at one instant; two of them give rates."""

    at: float
    cpu_busy: float = 0.0
    cpu_total: float = 0.0
    disk_read: int | None = None
    disk_write: int | None = None
    net_rx: int | None = None
    net_tx: int | None = None


def _cpu_times() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, the way psutil counts them."""
    import psutil

    times = psutil.cpu_times()
    total = sum(times)
    # guest time is already included in user time on Linux
    total -= getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


def _counters() -> _Counters:
    import psutil

    c = _Counters(at=time.monotonic())
    try:
        c.cpu_busy, c.cpu_total = _cpu_times()
    except Exception as e:
        log.debug("cpu times unavailable: %s", e)
    try:
        disk = psutil.disk_io_counters()
        if disk is not None:
            c.disk_read, c.disk_write = disk.read_bytes, disk.write_bytes
    except Exception as e:  # containers often have no disk counters
        log.debug("disk counters unavailable: %s", e)
    try:
        net = psutil.net_io_counters()
        if net is not None:
            c.net_rx, c.net_tx = net.bytes_recv, net.bytes_sent
    except Exception as e:
        log.debug("network counters unavailable: %s", e)
    return c


def _rate(new: int | None, old: int | None, seconds: float) -> float | None:
    if new is None or old is None or seconds <= 0:
        return None
    return max(0, new - old) / _MIB / seconds


class ResourceMonitor:
    """Sample resource use in a background thread and report it as scalars.

    Args:
        report: called as ``report(title, series, value, iteration)`` for each value.
        interval: seconds between two samples.

    Example:
        >>> monitor = ResourceMonitor(lambda t, s, v, i: print(t, s, v, i), interval=5)
        >>> monitor.start()  # doctest: +SKIP
        >>> monitor.stop()  # doctest: +SKIP
    """

    def __init__(self, report: Report, interval: float = 5.0) -> None:
        self._report = report
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._nvml: Any = None  # the pynvml module once initialised, False if unusable
        self._warned = False
        # the baseline of the first sample's rates
        self._previous: _Counters | None = self._safe(_counters)
        try:
            self._disk = os.getcwd()
        except OSError:  # the cwd was deleted
            self._disk = os.path.abspath(os.sep)

    @property
    def running(self) -> bool:
        """Whether the sampling thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start sampling (no-op when already running)."""
        if self.running:
            return
        self._stop.clear()
        self._started = time.monotonic()
        with self._lock:
            self._previous = self._safe(_counters)
        self._thread = threading.Thread(target=self._run, name="corral-resources", daemon=True)
        threads.start(self._thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sampling and wait (at most ``timeout`` seconds) for the thread to end."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._shutdown_nvml()

    def sample(self) -> list[tuple[str, str, float]]:
        """Take one sample now.

        Returns:
            ``(title, series, value)`` triples; rates are measured since the previous
            sample (or since :meth:`start`/construction for the first one).
        """
        values: list[tuple[str, str, float]] = []
        with self._lock:
            self._safe(self._machine, values)
            self._safe(self._gpus, values)
        return values

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            values = self.sample()
            iteration = int(time.monotonic() - self._started)
            for title, series, value in values:
                if self._stop.is_set():
                    return
                self._safe(self._report, title, series, value, iteration)

    def _safe(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as e:  # monitoring must never disturb the program
            if not self._warned:
                self._warned = True
                log.debug("resource monitoring: %s failed: %s", fn, e, exc_info=True)
            return None

    def _machine(self, out: list[tuple[str, str, float]]) -> None:
        import psutil

        now = _counters()
        before = self._previous
        self._previous = now
        if before is not None:
            total = now.cpu_total - before.cpu_total
            busy = now.cpu_busy - before.cpu_busy
            cpu = 100.0 * busy / total if total > 0 else 0.0
            out.append((MACHINE, "cpu_usage", round(min(100.0, max(0.0, cpu)), 2)))
        memory = psutil.virtual_memory()
        out.append((MACHINE, "memory_used_gb", round((memory.total - memory.available) / _GIB, 3)))
        out.append((MACHINE, "memory_usage", float(memory.percent)))
        out.append((MACHINE, "process_memory_gb", round(_process_rss() / _GIB, 3)))
        out.append((MACHINE, "disk_free", round(100.0 - psutil.disk_usage(self._disk).percent, 2)))
        if before is None:
            return
        seconds = now.at - before.at
        rates = (
            ("disk_read_mbs", now.disk_read, before.disk_read),
            ("disk_write_mbs", now.disk_write, before.disk_write),
            ("net_rx_mbs", now.net_rx, before.net_rx),
            ("net_tx_mbs", now.net_tx, before.net_tx),
        )
        for series, new, old in rates:
            rate = _rate(new, old, seconds)
            if rate is not None:
                out.append((MACHINE, series, round(rate, 3)))

    def _gpus(self, out: list[tuple[str, str, float]]) -> None:
        nvml = self._init_nvml()
        if not nvml:
            return
        for i in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(i)
            util = nvml.nvmlDeviceGetUtilizationRates(handle)
            mem = nvml.nvmlDeviceGetMemoryInfo(handle)
            temp = nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)
            out.append((GPU, f"gpu_{i}_utilization", float(util.gpu)))
            out.append((GPU, f"gpu_{i}_mem_used_gb", round(mem.used / _GIB, 3)))
            usage = 100.0 * mem.used / mem.total if mem.total else 0.0
            out.append((GPU, f"gpu_{i}_mem_usage", round(usage, 2)))
            out.append((GPU, f"gpu_{i}_temperature", float(temp)))

    def _init_nvml(self) -> Any:
        if self._nvml is None:
            self._nvml = load_nvml()
        return self._nvml

    def _shutdown_nvml(self) -> None:
        with self._lock:
            nvml, self._nvml = self._nvml, None
            release_nvml(nvml)


def _process_rss() -> int:
    """Resident memory of this process and all its children, in bytes."""
    import psutil

    process = psutil.Process()
    rss = int(process.memory_info().rss)
    for child in process.children(recursive=True):
        try:
            rss += int(child.memory_info().rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return rss
