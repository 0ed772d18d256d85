"""What open change streams cost the hub: CPU, ``/health`` latency, delivery latency.

Budget (DESIGN.md section 9): 500 open SSE streams on one hub process, ``/health``
p50 < 10 ms; one database follower per process.

For each level of readers (``--streams``, default 0, 100 and 500 SSE streams, plus
``--long-polls`` ``GET /changes?wait=30`` long-polls on a quiet entity), against a
real hub (SQLite, and PostgreSQL when ``CORRAL_TEST_DATABASE_URL`` is set):

* hub CPU: the hub process's CPU time over a quiet ``--window`` seconds (psutil),
  as a share of one core;
* ``/health`` latency p50/p99, sampled every 20 ms during that window;
* delivery latency: ``--writes`` changes of one task at 10/s, all streams following
  it; from the change's time (hub clock, same machine) to its arrival on each stream,
  p50/p99 over every (change, stream), and how many never arrived.

The baseline is the same run against the previous code (``--before SRC``, the ``src``
directory of a checkout of it, e.g. ``git worktree add /tmp/fanout-base main``): its
hub runs with that directory first on ``PYTHONPATH``. All traffic goes to 127.0.0.1.

    .venv/bin/python benchmarks/change_fanout.py [--before /tmp/fanout-base/src]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from _common import Hub, backends, create_pg_database, drop_pg_database, emit, say


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


async def _request(port: int, auth: str, path: str) -> tuple[asyncio.StreamReader, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n\r\n".encode()
    )
    await writer.drain()
    return reader, writer


async def _headers(reader: asyncio.StreamReader) -> int:
    """Read a response's head; the Content-Length (0 when chunked)."""
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            return length
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])


class Readers:
    """SSE streams and long-polls, all in one event loop of the benchmark process."""

    def __init__(self, hub: Hub, hot: str, quiet: str) -> None:
        self.port = hub.port
        self.auth = hub.auth["Authorization"]
        self.hot, self.quiet = hot, quiet
        self.arrivals: list[list[tuple[int, float]]] = []
        self.writers: list[Any] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self, streams: int, long_polls: int) -> None:
        opened = [self._stream(i) for i in range(streams)]
        for start in range(0, len(opened), 50):  # a few at a time, as clients arrive
            self.tasks += [asyncio.ensure_future(c) for c in opened[start : start + 50]]
            await asyncio.sleep(0.05)
        self.tasks += [asyncio.ensure_future(self._long_poll()) for _ in range(long_polls)]
        deadline = time.monotonic() + 120
        while len(self.arrivals) < streams and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    async def _stream(self, _: int) -> None:
        reader, writer = await _request(
            self.port, self.auth, f"/api/v1/changes/stream?entity_id={self.hot}"
        )
        self.writers.append(writer)
        await _headers(reader)
        await reader.readline()  # the first chunk: retry and ": connected"
        got: list[tuple[int, float]] = []
        self.arrivals.append(got)
        while line := await reader.readline():
            if line.startswith(b"data: "):
                change = json.loads(line[6:])
                sent = datetime.fromisoformat(change["time"]).timestamp()
                got.append((change["id"], time.time() - sent))

    async def _long_poll(self) -> None:
        path = f"/api/v1/changes?cursor=latest&entity_id={self.quiet}&wait=30"
        reader, writer = await _request(self.port, self.auth, path)
        self.writers.append(writer)
        while True:
            length = await _headers(reader)
            await reader.readexactly(length)
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {self.auth}\r\n\r\n".encode()
            )

    async def close(self) -> None:
        for t in self.tasks:
            t.cancel()
        for w in self.writers:
            w.close()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@contextmanager
def _health_sampler(hub: Hub, out: list[float]) -> Any:
    stop = threading.Event()

    def sample() -> None:
        with httpx.Client(base_url=hub.url, timeout=30) as c:
            while not stop.is_set():
                t = time.perf_counter()
                c.get("/health").raise_for_status()
                out.append(time.perf_counter() - t)
                stop.wait(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(30)


def _write(hub: Hub, task_id: str, n: int) -> None:
    with hub.client() as c:
        for i in range(n):
            c.patch(f"/tasks/{task_id}", json={"comment": f"c{i}"}).raise_for_status()
            time.sleep(0.1)


async def _level(
    hub: Hub, streams: int, long_polls: int, args: argparse.Namespace
) -> dict[str, Any]:
    with hub.client() as c:
        hot = c.post("/tasks", json={"name": "hot", "project": "bench/fanout"}).json()["id"]
        quiet = c.post("/tasks", json={"name": "quiet", "project": "bench/fanout"}).json()["id"]
    readers = Readers(hub, hot, quiet)
    await readers.open(streams, long_polls)
    await asyncio.sleep(1.0)  # let the opening settle
    assert hub.process is not None
    proc = psutil.Process(hub.process.pid)
    health: list[float] = []
    with _health_sampler(hub, health):
        before, t0 = proc.cpu_times(), time.perf_counter()
        await asyncio.sleep(args.window)
        after, elapsed = proc.cpu_times(), time.perf_counter() - t0
    cpu = (after.user + after.system - before.user - before.system) / elapsed
    await asyncio.to_thread(_write, hub, hot, args.writes)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(len(a) < args.writes for a in readers.arrivals):
        await asyncio.sleep(0.05)
    delays = [d for a in readers.arrivals for _, d in a]
    lost = sum(max(0, args.writes - len(a)) for a in readers.arrivals)
    repeated = sum(len(a) - len({i for i, _ in a}) for a in readers.arrivals)
    await readers.close()
    await asyncio.sleep(1.0)  # the hub notices the closed connections
    return {
        "streams": streams,
        "long_polls": long_polls,
        "open_streams": len(readers.arrivals),
        "hub_cpu": round(cpu, 3),
        "health_p50_ms": _pct(health, 0.5),
        "health_p99_ms": _pct(health, 0.99),
        "delivery_p50_ms": _pct(delays, 0.5),
        "delivery_p99_ms": _pct(delays, 0.99),
        "lost": lost,
        "repeated": repeated,
    }


@contextmanager
def _hub(backend: str, src: Path | None) -> Iterator[Hub]:
    """A hub of its own; with ``src``, running the code found there."""
    with tempfile.TemporaryDirectory(prefix=f"corral-bench-{backend}-") as tmp:
        url = None
        if backend == "postgres":
            url = create_pg_database(os.environ["CORRAL_TEST_DATABASE_URL"])
        hub = Hub(root=Path(tmp), backend=backend, database_url=url)
        if src is not None:
            hub.extra_env["PYTHONPATH"] = str(src.resolve())
        try:
            hub.start()
            yield hub
        finally:
            hub.stop()
            if url:
                drop_pg_database(url)


def _run(backend: str, label: str, src: Path | None, args: argparse.Namespace) -> list[Any]:
    results = []
    with _hub(backend, src) as hub:
        for streams in args.streams:
            long_polls = args.long_polls if streams else 0
            r = asyncio.run(_level(hub, streams, long_polls, args))
            say(
                f"{backend:8} {label:6} streams {streams:4} + long-polls {long_polls:3}: "
                f"cpu {r['hub_cpu']:.2f} core, /health p50 {r['health_p50_ms']} ms "
                f"p99 {r['health_p99_ms']} ms, delivery p50 {r['delivery_p50_ms']} ms "
                f"p99 {r['delivery_p99_ms']} ms, lost {r['lost']}, repeated {r['repeated']}"
            )
            results.append(r)
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--streams", default="0,100,500", help="levels of open SSE streams")
    p.add_argument("--long-polls", type=int, default=100, help="long-polls beside the streams")
    p.add_argument("--window", type=float, default=5.0, help="seconds of CPU measurement")
    p.add_argument("--writes", type=int, default=20, help="changes for the delivery latency")
    p.add_argument("--before", type=Path, help="src directory of the code to compare with")
    args = p.parse_args()
    args.streams = [int(s) for s in args.streams.split(",")]
    result: dict[str, Any] = {"window_s": args.window, "writes": args.writes}
    for backend in backends():
        result[backend] = {"after": _run(backend, "after", None, args)}
        if args.before:
            result[backend]["baseline_before"] = _run(backend, "before", args.before, args)
    emit(result)


if __name__ == "__main__":
    main()
