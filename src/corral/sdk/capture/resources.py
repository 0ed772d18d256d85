"""Report the machine's resource use while a task runs: CPU, memory, disk, network, GPUs.

A daemon thread samples every ``interval`` seconds and hands each value to a
``report(title, series, value, iteration)`` callback (the task's scalar reporter),
under the titles ``:monitor:machine`` and ``:monitor:gpu``. The iteration is the
number of whole seconds since :meth:`ResourceMonitor.start`.

Rates (disk and network MB/s, CPU %) are computed from the machine's counters
(:mod:`corral.system.counters`) between two samples, so they do not depend on
psutil's process-wide ``cpu_percent`` state, which the user's code may also use.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from corral.sdk import threads
from corral.system.counters import Counters, byte_rate, cpu_percent, read_counters
from corral.system.gpu import load_nvml, read_gpus, release_nvml

log = logging.getLogger("corral.sdk.capture")

MACHINE = ":monitor:machine"
GPU = ":monitor:gpu"
_GIB = 1024**3
_MIB = 1024**2

Report = Callable[[str, str, float, int], None]


def _mb_rate(new: int | None, old: int | None, seconds: float) -> float | None:
    rate = byte_rate(new, old, seconds)
    return None if rate is None else rate / _MIB


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
        self._previous: Counters | None = self._safe(read_counters)
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
            self._previous = self._safe(read_counters)
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

        now = read_counters()
        before = self._previous
        self._previous = now
        if before is not None:
            cpu = cpu_percent(before, now) or 0.0
            out.append((MACHINE, "cpu_usage", round(cpu, 2)))
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
            rate = _mb_rate(new, old, seconds)
            if rate is not None:
                out.append((MACHINE, series, round(rate, 3)))

    def _gpus(self, out: list[tuple[str, str, float]]) -> None:
        for gpu in read_gpus(self._init_nvml()):
            i = gpu.index
            out.append((GPU, f"gpu_{i}_utilization", gpu.utilization))
            out.append((GPU, f"gpu_{i}_mem_used_gb", round(gpu.memory_used / _GIB, 3)))
            usage = 100.0 * gpu.memory_used / gpu.memory_total if gpu.memory_total else 0.0
            out.append((GPU, f"gpu_{i}_mem_usage", round(usage, 2)))
            out.append((GPU, f"gpu_{i}_temperature", gpu.temperature))

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
