from __future__ import annotations

import threading

import psutil

from corral.sdk.capture.resources import GPU, MACHINE, ResourceMonitor

MACHINE_SERIES = {
    "cpu_usage",
    "memory_used_gb",
    "memory_usage",
    "process_memory_gb",
    "disk_free",
}
RATE_SERIES = {"disk_read_mbs", "disk_write_mbs", "net_rx_mbs", "net_tx_mbs"}


def noop(title: str, series: str, value: float, iteration: int) -> None:
    pass


def test_sample_reports_plausible_machine_values() -> None:
    monitor = ResourceMonitor(noop)
    sum(i * i for i in range(200_000))  # some CPU time between baseline and sample

    values = monitor.sample()

    by_series = {series: value for title, series, value in values if title == MACHINE}
    assert set(by_series) >= MACHINE_SERIES
    # disk and network counters can be missing in containers: only check those present
    assert set(by_series) <= MACHINE_SERIES | RATE_SERIES
    assert all(isinstance(v, float) for v in by_series.values())
    assert 0.0 <= by_series["cpu_usage"] <= 100.0
    assert 0.0 < by_series["memory_usage"] <= 100.0
    total_gb = psutil.virtual_memory().total / 1024**3
    assert 0.0 < by_series["memory_used_gb"] <= total_gb
    assert 0.0 < by_series["process_memory_gb"] <= total_gb
    assert 0.0 <= by_series["disk_free"] <= 100.0
    for series in RATE_SERIES & set(by_series):
        assert by_series[series] >= 0.0
    assert all(title in (MACHINE, GPU) for title, _, _ in values)


def test_gpu_series_are_named_per_device() -> None:
    values = ResourceMonitor(noop).sample()

    for title, series, _ in values:
        if title == GPU:
            index, _, kind = series.removeprefix("gpu_").partition("_")
            assert index.isdigit()
            assert kind in ("utilization", "mem_used_gb", "mem_usage", "temperature")


def test_started_monitor_reports_until_stopped() -> None:
    reported: list[tuple[str, str, float, int]] = []
    got_sample = threading.Event()

    def collect(title: str, series: str, value: float, iteration: int) -> None:
        reported.append((title, series, value, iteration))
        if series == "memory_usage":
            got_sample.set()

    monitor = ResourceMonitor(collect, interval=0.05)
    monitor.start()
    try:
        assert got_sample.wait(timeout=30)
        threads = [t for t in threading.enumerate() if t.name == "corral-resources"]
        assert len(threads) == 1
        assert threads[0].daemon
    finally:
        monitor.stop()

    assert not monitor.running
    assert not any(t.name == "corral-resources" for t in threading.enumerate())
    assert {series for _, series, _, _ in reported} >= MACHINE_SERIES
    assert all(iteration >= 0 for _, _, _, iteration in reported)


def test_a_failing_report_does_not_kill_the_monitor() -> None:
    calls = threading.Event()
    count = 0

    def explode(title: str, series: str, value: float, iteration: int) -> None:
        nonlocal count
        count += 1
        if count > 20:  # more than one sample's worth of calls went through
            calls.set()
        raise RuntimeError("reporter is down")

    monitor = ResourceMonitor(explode, interval=0.01)
    monitor.start()
    try:
        assert calls.wait(timeout=30)
        assert monitor.running
    finally:
        monitor.stop()
    assert not monitor.running


def test_stop_without_start_and_restart() -> None:
    monitor = ResourceMonitor(noop, interval=0.05)
    monitor.stop()
    monitor.start()
    monitor.start()  # already running: no second thread
    assert sum(t.name == "corral-resources" for t in threading.enumerate()) == 1
    monitor.stop()
    monitor.start()
    assert monitor.running
    monitor.stop()
    assert not monitor.running
