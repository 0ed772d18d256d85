"""The change follower against a real hub: order, filters, restarts, new ids, stop."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest

from corral.client.changes import ChangeFollower, sse_data
from corral.client.http import HubClient
from corral.client.types import Change
from corral.testing.hub import Hub
from tests.client.conftest import hub_client
from tests.factories import unique

MODES = [pytest.param(False, id="poll"), pytest.param(True, id="sse")]


class Collector:
    """A follower run in a daemon thread, its changes in a queue."""

    def __init__(self, follower: ChangeFollower) -> None:
        self.follower = follower
        self.changes: queue.SimpleQueue[Change] = queue.SimpleQueue()
        self.thread = threading.Thread(target=follower.run, args=(self.changes.put,), daemon=True)
        self.thread.start()

    def take(self, n: int, timeout: float = 30) -> list[Change]:
        return [self.changes.get(timeout=timeout) for _ in range(n)]

    def until(self, done: Callable[[list[Change]], bool], timeout: float = 60) -> list[Change]:
        got: list[Change] = []
        while not done(got):
            got.append(self.changes.get(timeout=timeout))
        return got

    def close(self) -> None:
        self.follower.stop()
        self.thread.join(30)
        assert not self.thread.is_alive()


@pytest.fixture
def collect() -> Iterator[Callable[[ChangeFollower], Collector]]:
    made: list[Collector] = []

    def start(follower: ChangeFollower) -> Collector:
        made.append(Collector(follower))
        return made[-1]

    yield start
    for c in made:
        c.close()


def wait_started(follower: ChangeFollower) -> None:
    """The follower has its cursor: what happens from now on is after it."""
    done = threading.Event()
    while follower.cursor is None and not done.wait(0.02):
        pass


@pytest.mark.parametrize("sse", MODES)
def test_changes_of_another_client_arrive_in_order(
    client: HubClient, hub: Hub, collect: Callable[[ChangeFollower], Collector], sse: bool
) -> None:
    project = client.projects.create(unique("proj"))
    follower = collect(client.changes.follow(project_id=project["id"], wait=5, sse=sse))
    wait_started(follower.follower)
    with hub_client(hub) as other:
        task = other.tasks.create(name="t", project_id=project["id"])
        other.tasks.action(task["id"], "enqueue", queue="default")
        other.tasks.action(task["id"], "dequeue")
    got = follower.take(3)
    assert [c["action"] for c in got] == ["created", "enqueued", "dequeued"]
    assert [c["id"] for c in got] == sorted(c["id"] for c in got)
    assert {c["entity_id"] for c in got} == {task["id"]}


@pytest.mark.parametrize("sse", MODES)
def test_entity_filter_hands_over_only_the_followed_task(
    client: HubClient, collect: Callable[[ChangeFollower], Collector], sse: bool
) -> None:
    name = unique("proj")
    a = client.tasks.create(name="a", project=name)
    b = client.tasks.create(name="b", project=name)
    follower = collect(
        client.changes.follow(entity_type="task", entity_ids=[b["id"]], cursor=0, sse=sse)
    )
    client.tasks.action(a["id"], "enqueue", queue="default")
    client.tasks.action(b["id"], "enqueue", queue="default")
    got = follower.take(2)
    assert [(c["entity_id"], c["action"]) for c in got] == [
        (b["id"], "created"),
        (b["id"], "enqueued"),
    ]


@pytest.mark.parametrize("sse", MODES)
def test_idle_follower_asks_nothing_until_ids_come(
    client: HubClient, collect: Callable[[ChangeFollower], Collector], sse: bool
) -> None:
    a = client.tasks.create(name="a", project=unique("proj"))
    follower = collect(client.changes.follow(entity_type="task", entity_ids=[], wait=5, sse=sse))
    wait_started(follower.follower)
    client.tasks.action(a["id"], "enqueue", queue="default")  # after the start: read back
    follower.follower.follow_ids([a["id"]])
    assert [(c["entity_id"], c["action"]) for c in follower.take(1)] == [(a["id"], "enqueued")]


@pytest.mark.parametrize("sse", MODES)
def test_new_ids_read_the_stretch_again_without_repeats(client: HubClient, sse: bool) -> None:
    name = unique("proj")
    a = client.tasks.create(name="a", project=name)
    b = client.tasks.create(name="b", project=name)
    follower = client.changes.follow(entity_type="task", entity_ids=[a["id"]], wait=30, sse=sse)
    got: queue.SimpleQueue[Change] = queue.SimpleQueue()

    def on_change(change: Change) -> None:
        got.put(change)
        if change["entity_id"] == a["id"] and change["action"] == "enqueued":
            follower.follow_ids([a["id"], b["id"]])  # b is followed from now on

    thread = threading.Thread(target=follower.run, args=(on_change,), daemon=True)
    thread.start()
    try:
        wait_started(follower)
        client.tasks.action(b["id"], "enqueue", queue="default")  # b: not followed yet
        client.tasks.action(a["id"], "enqueue", queue="default")
        client.tasks.action(b["id"], "dequeue")
        seen = [got.get(timeout=30) for _ in range(3)]
        # b's enqueue is read back once b is followed; a's enqueue is not handed over again
        assert [(c["entity_id"], c["action"]) for c in seen] == [
            (a["id"], "enqueued"),
            (b["id"], "enqueued"),
            (b["id"], "dequeued"),
        ]
    finally:
        follower.stop()
        thread.join(30)
    assert got.empty()


@pytest.mark.parametrize("sse", MODES)
def test_hub_restart_mid_follow_loses_and_repeats_nothing(
    fresh_hub: Hub, collect: Callable[[ChangeFollower], Collector], sse: bool
) -> None:
    with hub_client(fresh_hub) as client:
        follower = collect(client.changes.follow(entity_type="task", wait=5, sse=sse))
        wait_started(follower.follower)
        made = [client.tasks.create(name=f"t{i}", project="p")["id"] for i in range(3)]
        assert [c["entity_id"] for c in follower.take(3)] == made
        fresh_hub.restart()  # same port, same data: the follower reconnects by itself
        made += [client.tasks.create(name=f"t{i}", project="p")["id"] for i in range(3, 6)]
        got = follower.take(3, timeout=90)
        assert [c["entity_id"] for c in got] == made[3:]
        # nothing more than what happened: the hub's own log agrees
        log = client.changes.page(0, entity_type="task", limit=1000)["items"]
        assert [c["entity_id"] for c in log] == made
        assert follower.changes.empty()


@pytest.mark.parametrize("sse", MODES)
def test_stop_from_another_thread_ends_a_long_poll(
    client: HubClient, collect: Callable[[ChangeFollower], Collector], sse: bool
) -> None:
    # a 60 s wait with nothing to read: only the stop can end it in time
    follower = collect(client.changes.follow(project_id=uuid.uuid4().hex, wait=60, sse=sse))
    wait_started(follower.follower)
    follower.follower.stop()
    follower.thread.join(20)
    assert not follower.thread.is_alive()


def test_iterator_form_resumes_from_a_given_cursor(client: HubClient) -> None:
    project = client.projects.create(unique("proj"))
    t = client.tasks.create(name="t", project_id=project["id"])
    start = client.changes.latest()
    client.tasks.action(t["id"], "enqueue", queue="default")
    follower = client.changes.follow(project_id=project["id"], cursor=start)
    for change in follower:
        assert change["action"] == "enqueued"
        follower.stop()
    assert follower.cursor is not None and follower.cursor > start


def test_sse_reader_joins_data_lines_and_skips_comments() -> None:
    lines = ["retry: 2000", ": connected", "", "id: 7", "event: change", "data: {", "data: }", ""]
    assert list(sse_data(lines)) == ["{\n}"]


def test_a_failing_callback_ends_the_follower(client: HubClient) -> None:
    project = client.projects.create(unique("proj"))
    follower = client.changes.follow(project_id=project["id"], cursor=0, wait=5)
    seen: list[Change] = []

    def explode(change: Change) -> None:
        seen.append(change)
        raise RuntimeError("a bug in the consumer")

    thread = threading.Thread(target=follower.run, args=(explode,), daemon=True)
    thread.start()
    client.tasks.create(name="t", project_id=project["id"])
    thread.join(30)
    assert not thread.is_alive() and len(seen) == 1 and follower.stopped
