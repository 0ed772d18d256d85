"""The console: stored in order, paged forwards and backwards, tailed, searched, downloaded."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests import factories as f


def send_lines(api: httpx.Client, task_id: str, texts: list[str], **kw: Any) -> None:
    events = [{"type": "log", "text": t, **kw} for t in texts]
    body = {"batch_id": uuid.uuid4().hex, "events": events}
    f.ok(api.post(f"/tasks/{task_id}/events", json=body), 200)


def logs(api: httpx.Client, task_id: str, **params: Any) -> dict[str, Any]:
    return f.ok(api.get(f"/tasks/{task_id}/logs", params=params))


LINES = [f"line {i:04d}" for i in range(1234)]


@pytest.fixture(scope="module")
def console(hub: Any) -> str:
    """A task with 1234 console lines sent in batches of various sizes."""
    with hub.client() as api:
        tid = f.task(api)["id"]
        start = 0
        for size in (1, 99, 500, 3, 631):
            send_lines(api, tid, LINES[start : start + size])
            start += size
        assert start == len(LINES)
        return str(tid)


def test_first_page_by_default(api: httpx.Client, console: str) -> None:
    page = logs(api, console)
    assert [x["text"] for x in page["items"]] == LINES[:500]
    assert page["has_more"] is True
    assert page["first_seq"] == page["items"][0]["seq"]
    assert page["last_seq"] == page["items"][-1]["seq"]


def test_paging_forwards_sees_every_line_once_in_order(api: httpx.Client, console: str) -> None:
    seen: list[str] = []
    seqs: list[int] = []
    cursor = 0
    while True:
        page = logs(api, console, after=cursor, limit=100)
        seen += [x["text"] for x in page["items"]]
        seqs += [x["seq"] for x in page["items"]]
        if not page["has_more"]:
            break
        cursor = page["last_seq"]
    assert seen == LINES
    assert seqs == sorted(set(seqs))


def test_paging_backwards_from_the_tail_sees_every_line_once(
    api: httpx.Client, console: str
) -> None:
    page = logs(api, console, tail=100)
    assert [x["text"] for x in page["items"]] == LINES[-100:]
    assert page["has_more"] is True
    pages = [page["items"]]
    while page["has_more"]:
        page = logs(api, console, before=page["first_seq"], limit=333)
        assert page["items"], page
        pages.append(page["items"])
    assert [x["text"] for items in reversed(pages) for x in items] == LINES


def test_tail_longer_than_the_log_returns_everything(api: httpx.Client, console: str) -> None:
    page = logs(api, console, tail=5000)
    assert [x["text"] for x in page["items"]] == LINES
    assert page["has_more"] is False


def test_polling_after_the_last_seq_returns_only_new_lines(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    empty = logs(api, tid, tail=50)
    assert empty == {"items": [], "first_seq": None, "last_seq": None, "has_more": False}
    send_lines(api, tid, ["a", "b"])
    page = logs(api, tid, tail=50)
    last = page["last_seq"]
    assert logs(api, tid, after=last)["items"] == []
    send_lines(api, tid, ["c"])
    send_lines(api, tid, ["d", "e"])
    new = logs(api, tid, after=last)
    assert [x["text"] for x in new["items"]] == ["c", "d", "e"]
    assert new["has_more"] is False


def test_consoles_of_two_tasks_do_not_mix(api: httpx.Client) -> None:
    a, b = f.task(api)["id"], f.task(api)["id"]
    for i in range(3):
        send_lines(api, a, [f"a{i}"])
        send_lines(api, b, [f"b{i}"])
    assert [x["text"] for x in logs(api, a)["items"]] == ["a0", "a1", "a2"]
    assert [x["text"] for x in logs(api, b, tail=2)["items"]] == ["b1", "b2"]


def test_search_and_stream_filters(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    send_lines(api, tid, ["Epoch 1: loss 0.5", "saving", "epoch 2: 100% done"])
    send_lines(api, tid, ["Traceback: boom", "epoch 3"], stream="stderr", level="error")

    def texts(**params: str | int) -> list[str]:
        return [x["text"] for x in logs(api, tid, **params)["items"]]

    assert texts(search="EPOCH") == ["Epoch 1: loss 0.5", "epoch 2: 100% done", "epoch 3"]
    assert texts(search="100%") == ["epoch 2: 100% done"]
    assert texts(search="_") == []  # LIKE wildcards are literal
    assert texts(stream="stderr") == ["Traceback: boom", "epoch 3"]
    assert texts(stream="stderr", search="epoch") == ["epoch 3"]
    page = logs(api, tid, stream="stderr", tail=1)
    assert page["items"][0]["level"] == "error" and page["has_more"] is True


def test_console_keeps_text_as_sent(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    texts = ["multi\nline\n", "  indented\ttab", "unicode ✓ 日本", "nul\x00byte", "\r progress 50%"]
    send_lines(api, tid, texts)
    got = [x["text"] for x in logs(api, tid)["items"]]
    assert got == [t.replace("\x00", "\ufffd") for t in texts]


@pytest.mark.parametrize(
    "params",
    [
        {"after": 1, "before": 5},
        {"tail": 5, "after": 1},
        {"limit": 0},
        {"limit": 5001},
        {"tail": 0},
        {"after": -1},
        {"stream": "stdin"},
    ],
)
def test_bad_paging_parameters_are_422(api: httpx.Client, console: str, params: dict) -> None:
    r = api.get(f"/tasks/{console}/logs", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_download_is_the_whole_console_as_text(api: httpx.Client, console: str) -> None:
    r = api.get(f"/tasks/{console}/logs/download")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert "attachment" in r.headers["content-disposition"]
    assert r.text == "".join(line + "\n" for line in LINES)


def test_download_of_a_long_console_has_every_line_once(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    lines = [f"{i}" for i in range(12_345)]  # more than one page of the download
    for start in range(0, len(lines), 4000):
        send_lines(api, tid, lines[start : start + 4000])
    r = api.get(f"/tasks/{tid}/logs/download")
    assert r.text.splitlines() == lines


def test_download_of_an_empty_console_is_empty(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    r = api.get(f"/tasks/{tid}/logs/download")
    assert r.status_code == 200 and r.text == ""
