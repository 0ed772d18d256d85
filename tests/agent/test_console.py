"""The console shipper against a real hub: order, splitting, retries without doubles.

Failures on the way are made by a transport around the real one (the httpx test
seam): it can lose the hub's answer after the hub stored the batch, or answer 503.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from corral.agent.console import ConsoleShipper, pump
from corral.client.config import HubCredentials
from corral.client.http import HubClient
from corral.client.retry import SERVER_STATUSES, RetryPolicy
from corral.testing.hub import Hub
from tests import factories as f


def client_of(hub: Hub, transport: httpx.BaseTransport | None = None) -> HubClient:
    return HubClient(HubCredentials(hub.url, hub.access_key, hub.secret_key), transport=transport)


def console(api: httpx.Client, task_id: str) -> list[dict[str, Any]]:
    """Every console line of the task, in order."""
    lines: list[dict[str, Any]] = []
    after = 0
    while True:
        page = f.ok(api.get(f"/tasks/{task_id}/logs", params={"after": after, "limit": 1000}))
        lines += page["items"]
        if not page["has_more"] or not page["items"]:
            return lines
        after = page["items"][-1]["seq"]


@pytest.fixture
def task_id(api: httpx.Client) -> str:
    return str(f.task(api)["id"])


@pytest.fixture
def client(hub: Hub) -> Iterator[HubClient]:
    with client_of(hub) as c:
        yield c


class Flaky(httpx.BaseTransport):
    """Forwards to the hub; spoils the first event batches as told.

    ``lose``: the batch reaches the hub, the answer is lost (a read error).
    ``unavailable``: the hub "answers" 503 without seeing the batch.
    """

    def __init__(self, lose: int = 0, unavailable: int = 0) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose = lose
        self.unavailable = unavailable
        self.batch_ids: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/events"):
            return self.inner.handle_request(request)
        self.batch_ids.append(json.loads(request.read())["batch_id"])
        if self.unavailable:
            self.unavailable -= 1
            return httpx.Response(503, json={"detail": "try later"}, request=request)
        response = self.inner.handle_request(request)
        response.read()
        if self.lose:
            self.lose -= 1
            raise httpx.ReadError("connection reset while reading the answer", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_lines_arrive_in_order_with_their_stream_and_worker(
    client: HubClient, api: httpx.Client, task_id: str
) -> None:
    shipper = ConsoleShipper(client, task_id, "box:cpu", max_lines=300)
    for i in range(2500):
        shipper.write(f"line {i}", "stderr" if i % 7 == 0 else "stdout")
    assert shipper.close(60)
    lines = console(api, task_id)
    assert [x["text"] for x in lines] == [f"line {i}" for i in range(2500)]
    assert [x["stream"] for x in lines][:8] == ["stderr"] + ["stdout"] * 6 + ["stderr"]
    assert {x["worker"] for x in lines} == {"box:cpu"}


def test_a_long_line_is_split_to_the_hub_limit(
    client: HubClient, api: httpx.Client, task_id: str
) -> None:
    shipper = ConsoleShipper(client, task_id, "w", line_chars=100)
    text = "".join(chr(ord("a") + i % 26) for i in range(250))
    shipper.write(text)
    shipper.write("")  # an empty line is a line too
    assert shipper.close(30)
    lines = [x["text"] for x in console(api, task_id)]
    assert lines == [text[:100], text[100:200], text[200:], ""]


def test_a_batch_whose_answer_was_lost_is_sent_again_and_stored_once(
    hub: Hub, api: httpx.Client, task_id: str
) -> None:
    transport = Flaky(lose=2, unavailable=1)
    with client_of(hub, transport) as client:
        shipper = ConsoleShipper(
            client, task_id, "w", retry=RetryPolicy(first=0.01, cap=0.05, statuses=SERVER_STATUSES)
        )
        for i in range(10):
            shipper.write(f"line {i}")
        assert shipper.close(30)
    assert [x["text"] for x in console(api, task_id)] == [f"line {i}" for i in range(10)]
    # the retries carried the id of the batch they repeat
    assert len(transport.batch_ids) >= 4
    assert len(set(transport.batch_ids)) < len(transport.batch_ids)


def test_lines_written_while_the_hub_is_down_arrive_when_it_is_back(fresh_hub: Hub) -> None:
    with fresh_hub.client() as api:
        task_id = str(f.task(api)["id"])
    with client_of(fresh_hub) as client:
        shipper = ConsoleShipper(
            client, task_id, "w", retry=RetryPolicy(first=0.05, cap=0.2, statuses=SERVER_STATUSES)
        )
        shipper.write("before")
        assert shipper.flush(30)
        fresh_hub.stop()
        for i in range(5):
            shipper.write(f"during {i}")
        assert not shipper.flush(0.5)  # nobody to take them
        fresh_hub.start()
        assert shipper.close(60)
    with fresh_hub.client() as api:
        texts = [x["text"] for x in console(api, task_id)]
    assert texts == ["before"] + [f"during {i}" for i in range(5)]


def test_a_refused_batch_does_not_hold_back_later_lines(
    client: HubClient, api: httpx.Client, task_id: str
) -> None:
    # the agent believes in a longer line than the hub takes: the hub answers 422
    shipper = ConsoleShipper(client, task_id, "w", line_chars=10**6)
    shipper.write("x" * (64 * 1024 + 1))
    assert shipper.flush(30)
    shipper.write("after")
    assert shipper.close(30)
    assert [x["text"] for x in console(api, task_id)] == ["after"]


def test_a_deleted_task_does_not_block_the_flush(client: HubClient, api: httpx.Client) -> None:
    task_id = str(f.task(api)["id"])
    f.ok(api.delete(f"/tasks/{task_id}"))
    shipper = ConsoleShipper(client, task_id, "w")
    shipper.write("to nobody")
    assert shipper.close(30)


class Recorder:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def write(self, text: str, stream: str = "stdout") -> None:
        self.lines.append((stream, text))


def test_pump_reads_lines_progress_bars_and_endless_lines() -> None:
    read_fd, write_fd = os.pipe()
    recorder = Recorder()
    with os.fdopen(read_fd, "rb") as pipe:
        thread = threading.Thread(target=pump, args=(pipe, "stderr", recorder, 16))
        thread.start()
        with os.fdopen(write_fd, "wb") as w:
            w.write(b"one\nwindows\r\n 10%\r 50%\r100%\n\xff bad byte\n")
            w.write(b"y" * 40)  # no newline: cut, and the tail is a line of its own
        thread.join(10)
    assert not thread.is_alive()
    assert recorder.lines == [
        ("stderr", "one"),
        ("stderr", "windows"),
        ("stderr", "100%"),
        ("stderr", "\ufffd bad byte"),
        ("stderr", "y" * 16),
        ("stderr", "y" * 16),
        ("stderr", "y" * 8),
    ]
