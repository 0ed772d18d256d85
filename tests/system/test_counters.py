from __future__ import annotations

import psutil

from corral.system.counters import Counters, byte_rate, cpu_percent, read_counters


def test_counters_of_this_machine_are_plausible() -> None:
    before = read_counters()
    sum(i * i for i in range(200_000))  # some CPU time between the two readings
    now = read_counters()

    assert now.at >= before.at
    assert now.cpu_total >= before.cpu_total > 0
    assert 0 <= now.cpu_busy <= now.cpu_total
    cpu = cpu_percent(before, now)
    assert cpu is None or 0.0 <= cpu <= 100.0
    if psutil.net_io_counters() is not None:
        assert now.net_rx is not None and now.net_rx >= 0


def test_cpu_percent_between_two_readings() -> None:
    start = Counters(at=0.0, cpu_busy=10.0, cpu_total=40.0)
    assert cpu_percent(start, Counters(at=1.0, cpu_busy=11.0, cpu_total=44.0)) == 25.0
    assert cpu_percent(start, start) is None  # no CPU time passed: nothing to say
    # counters that moved oddly never give less than 0 or more than 100
    assert cpu_percent(start, Counters(at=1.0, cpu_busy=9.0, cpu_total=41.0)) == 0.0
    assert cpu_percent(start, Counters(at=1.0, cpu_busy=20.0, cpu_total=41.0)) == 100.0


def test_byte_rate() -> None:
    assert byte_rate(3000, 1000, 2.0) == 1000.0
    assert byte_rate(1000, 3000, 2.0) == 0.0  # a counter reset is no traffic
    assert byte_rate(None, 1000, 2.0) is None
    assert byte_rate(3000, None, 2.0) is None
    assert byte_rate(3000, 1000, 0.0) is None
