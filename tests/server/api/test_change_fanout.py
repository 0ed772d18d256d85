"""The change feed's fan-out: many readers of one hub process, each with its own filters.

Real hub processes (two on one database, as behind a load balancer), SQLite and
PostgreSQL. One of the two keeps a tiny window and tiny per-reader buffers, so that
readers keep falling out of the fan-out to the database and joining again: every
reader must still get exactly its changes, in order, none lost or repeated.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub, make_hub
from tests.conftest import BACKENDS
from tests.factories import ok, send_events, task, unique

#: the hub that holds almost nothing in memory: a window of 8 changes, 4 per reader
TINY = {"CORRAL_CHANGE_WINDOW": "8", "CORRAL_CHANGE_BUFFER": "4"}


@pytest.fixture(params=BACKENDS)
def two_hubs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Hub, Hub]]:
    """Two hub processes on one database; the first with tiny buffers."""
    first = make_hub(tmp_path / "a", request.param)
    first.extra_env.update(TINY)
    first.start()
    second = Hub(root=tmp_path / "b", backend=request.param, database_url=first.database_url)
    second.root.mkdir(parents=True)
    shutil.copy(first.config_file, second.config_file)
    if first.database_url is None:  # SQLite: the second process opens the first one's file
        second.database_url = f"sqlite:///{first.data_dir / 'corral.db'}"
    second.start()
    yield first, second
    second.stop()
    first.dispose()


@pytest.fixture
def tiny_hub(tmp_path: Path) -> Iterator[Hub]:
    hub = make_hub(tmp_path / "hub", "sqlite")
    hub.extra_env.update(TINY)
    hub.start()
    yield hub
    hub.dispose()


def _wait_for(check: Callable[[], Any], what: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _sse_ids(lines: Iterator[str]) -> Iterator[int | None]:
    """Event ids of an SSE stream; None for each comment (connected, keep-alive)."""
    event: dict[str, str] = {}
    for line in lines:
        if line == "":
            if "data" in event:
                yield int(event["id"])
            event = {}
        elif line.startswith(":"):
            yield None
        else:
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")


class Stream(threading.Thread):
    """An SSE reader in a thread, collecting event ids until told to stop."""

    def __init__(self, hub: Hub, params: dict[str, Any], cursor: int) -> None:
        super().__init__(daemon=True)
        self.hub, self.params, self.cursor = hub, params, cursor
        self.ids: list[int] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            params = {**self.params, "heartbeat": 1}
            headers = {"Last-Event-ID": str(self.cursor)}
            with (
                self.hub.client(timeout=httpx.Timeout(10, read=30)) as c,
                c.stream("GET", "/changes/stream", params=params, headers=headers) as r,
            ):
                assert r.status_code == 200
                for change_id in _sse_ids(r.iter_lines()):
                    if self.stop.is_set():
                        return
                    if change_id is not None:
                        self.ids.append(change_id)
        except BaseException as e:  # reported by the test
            self.error = e


class LongPoll(threading.Thread):
    """A ``GET /changes?wait=`` follower in a thread, small pages, until told to stop."""

    def __init__(self, hub: Hub, params: dict[str, Any], cursor: int) -> None:
        super().__init__(daemon=True)
        self.hub, self.params, self.cursor = hub, params, cursor
        self.ids: list[int] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.hub.client() as c:
                while not self.stop.is_set():
                    query = {**self.params, "cursor": self.cursor, "wait": 1, "limit": 3}
                    page = ok(c.get("/changes", params=query))
                    self.ids += [ch["id"] for ch in page["items"]]
                    assert page["next_cursor"] >= self.cursor
                    self.cursor = page["next_cursor"]
        except BaseException as e:  # reported by the test
            self.error = e


def _truth(hub: Hub, params: dict[str, Any], cursor: int) -> list[int]:
    """Every matching change after ``cursor``, read straight from the database."""
    ids: list[int] = []
    with hub.client() as c:
        while True:
            page = ok(c.get("/changes", params={**params, "cursor": cursor, "limit": 1000}))
            ids += [ch["id"] for ch in page["items"]]
            if not page["items"]:
                return ids
            cursor = page["next_cursor"]


def _latest(hub: Hub) -> int:
    with hub.client() as c:
        return int(ok(c.get("/changes/latest"))["cursor"])


def test_every_reader_gets_exactly_its_changes_while_two_hubs_write(
    two_hubs: tuple[Hub, Hub],
) -> None:
    a, b = two_hubs
    project, other = unique("fan"), unique("other")
    with a.client() as api:
        t1, t2, t3, t4 = (task(api, project)["id"] for _ in range(4))
        pid = ok(api.get(f"/tasks/{t1}"))["project_id"]
    cursor = _latest(a)
    readers: list[Stream | LongPoll] = [
        Stream(a, {"entity_id": t1}, cursor),
        Stream(a, {"entity_id": [t2, t3]}, cursor),
        Stream(a, {"project_id": pid}, cursor),
        Stream(a, {"entity_type": "task", "project_id": pid}, cursor),
        Stream(a, {}, cursor),
        Stream(a, {}, 0),  # from the very beginning: catches up, then follows
        Stream(b, {"entity_id": t1}, cursor),
        Stream(b, {"project_id": pid}, cursor),
        Stream(b, {}, cursor),
        LongPoll(a, {"entity_id": t4}, cursor),
        LongPoll(a, {}, cursor),
        LongPoll(b, {"project_id": pid}, cursor),
    ]
    for r in readers:
        r.start()

    def writer(hub: Hub, mine: tuple[str, str], events_to: str) -> None:
        with hub.client() as c:
            for i in range(12):
                for tid in mine:
                    ok(c.patch(f"/tasks/{tid}", json={"comment": f"{hub.port}-{i}"}))
                ok(send_events(c, events_to, [{"type": "log", "text": f"line {i}"}]))
                task(c, project if i % 2 else other)

    writers = [
        threading.Thread(target=writer, args=(a, (t1, t2), t3)),
        threading.Thread(target=writer, args=(b, (t3, t4), t1)),
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join(300)
    expected = [_truth(a, r.params, r.cursor if isinstance(r, Stream) else cursor) for r in readers]
    assert all(expected) and len(expected[4]) >= 12 * 2 * 4

    def all_arrived() -> bool:
        errors = [r.error for r in readers if r.error is not None]
        assert not errors, errors
        return all(len(r.ids) >= len(want) for r, want in zip(readers, expected, strict=True))

    _wait_for(all_arrived, "every reader to receive its changes")
    for r in readers:
        r.stop.set()
    for r, want in zip(readers, expected, strict=True):
        assert r.ids == want, (r.hub.port, r.params)


def test_a_stream_far_behind_catches_up_and_goes_on_live(tiny_hub: Hub) -> None:
    with tiny_hub.client() as api:
        t = task(api)["id"]
        for i in range(30):
            ok(api.patch(f"/tasks/{t}", json={"comment": f"before {i}"}))
        first = _truth(tiny_hub, {"entity_id": t}, 0)[0]
        stream = Stream(tiny_hub, {"entity_id": t}, first)  # 30 changes behind, window of 8
        stream.start()
        for i in range(10):
            ok(api.patch(f"/tasks/{t}", json={"comment": f"after {i}"}))
    want = _truth(tiny_hub, {"entity_id": t}, first)
    assert len(want) == 40
    _wait_for(lambda: stream.error or len(stream.ids) >= len(want), "the stream to catch up")
    stream.stop.set()
    assert stream.error is None
    assert stream.ids == want


def _stalled_stream(hub: Hub, cursor: int) -> socket.socket:
    """An SSE request whose client then reads nothing (a tiny receive buffer)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.connect(("127.0.0.1", hub.port))
    request = (
        f"GET /api/v1/changes/stream?cursor={cursor}&heartbeat=60 HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: {hub.auth['Authorization']}\r\n\r\n"
    )
    s.sendall(request.encode())
    return s


def _read_events(s: socket.socket, n: int) -> list[int]:
    """Read the stalled stream at last, until ``n`` events arrived."""
    s.settimeout(60)
    data = b""
    ids: list[int] = []
    while len(ids) < n:
        chunk = s.recv(65536)
        assert chunk, "the hub closed the stream"
        data += chunk
        lines = data.split(b"\n")[:-1]  # whole lines only
        ids = [int(line[4:]) for line in lines if line.startswith(b"id: ")]
    return ids


def test_a_stalled_stream_does_not_hold_back_the_others(tiny_hub: Hub) -> None:
    cursor = _latest(tiny_hub)
    stalled = _stalled_stream(tiny_hub, cursor)
    try:
        live = Stream(tiny_hub, {}, cursor)
        live.start()

        # (Loopback buffers take up to 4 MiB before the hub's write blocks: more than this
        # test writes. The fall-back of a reader whose queue overflows is exercised by
        # the tiny buffers of the test above; here, a client that reads nothing.)
        def write(part: int) -> None:
            with tiny_hub.client() as c:
                for i in range(15):
                    tid = task(c, name=f"w{part}-{i}")["id"]
                    ok(send_events(c, tid, [{"type": "log", "text": "x" * 500}]))

        writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for w in writers:
            w.start()
        for w in writers:
            w.join(300)
        want = _truth(tiny_hub, {}, cursor)
        assert len(want) == 4 * 15 * 3  # a project, a task and an events batch each
        # the live stream gets everything while the stalled one has read nothing
        _wait_for(lambda: live.error or len(live.ids) >= len(want), "the live stream")
        live.stop.set()
        assert live.error is None and live.ids == want
        # and the stalled one, reading at last, misses and repeats nothing
        assert _read_events(stalled, len(want)) == want
    finally:
        stalled.close()


def test_a_waiting_dequeue_wakes_on_an_enqueue_through_either_hub(
    two_hubs: tuple[Hub, Hub],
) -> None:
    a, b = two_hubs
    queue = unique("q")
    with a.client() as api:
        ok(api.post("/queues", json={"name": queue}), 201)
        worker = ok(api.post("/workers", json={"id": unique("w"), "queues": [queue]}), 201)["id"]
    for enqueue_via in (a, b):
        with enqueue_via.client() as api:
            t = task(api)["id"]
        got: dict[str, Any] = {}
        asked = threading.Event()

        def wait_for_task(got: dict[str, Any] = got, asked: threading.Event = asked) -> None:
            hooks = {"request": [lambda _request: asked.set()]}
            with a.client(event_hooks=hooks) as c:
                body = {"worker": worker, "queues": [queue], "wait": 60}
                got.update(ok(c.post("/queues:dequeue", json=body)))

        waiter = threading.Thread(target=wait_for_task)
        waiter.start()
        # the enqueue follows the dequeue's request (the hub shows no waiters to wait for;
        # whichever reaches the hub first, the waiting worker must get the task)
        assert asked.wait(60), "the dequeue request was never sent"
        with enqueue_via.client() as api:
            ok(api.post(f"/tasks/{t}:enqueue", json={"queue": queue}))
        waiter.join(60)
        assert not waiter.is_alive()
        assert got["task"]["id"] == t and got["queue"] == queue
