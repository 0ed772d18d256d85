"""Bad input gets a clear 4xx problem+json and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from corral.testing.hub import Hub, make_hub
from tests import factories as f


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in r.text
    return body


def _count_tasks(api: httpx.Client, project_id: str) -> int:
    return len(f.ok(api.get("/tasks", params={"project_id": project_id, "limit": 500}))["items"])


@pytest.fixture
def proj(api: httpx.Client) -> dict:
    return f.project(api)


def test_malformed_json_is_400_and_changes_nothing(api: httpx.Client, proj: dict) -> None:
    r = api.post(
        "/tasks",
        content=b'{"name": "x", "project_id": ',
        headers={"content-type": "application/json"},
    )
    body = _problem(r, 400)
    assert "JSON" in body["detail"]
    assert _count_tasks(api, proj["id"]) == 0


def test_unknown_field_is_422_with_field_error(api: httpx.Client, proj: dict) -> None:
    r = api.post("/tasks", json={"name": "x", "project_id": proj["id"], "colour": "red"})
    body = _problem(r, 422)
    assert any(e["loc"][-1] == "colour" for e in body["errors"])
    assert "colour" in body["detail"]
    assert _count_tasks(api, proj["id"]) == 0


def test_wrong_types_are_422(api: httpx.Client, proj: dict) -> None:
    for bad in (
        {"name": 5, "project_id": proj["id"]},
        {"name": "x", "project_id": proj["id"], "type": "not-a-type"},
        {"name": "x", "project_id": proj["id"], "tags": "not-a-list"},
        {"name": "", "project_id": proj["id"]},
        {"name": "x", "project_id": proj["id"], "hyperparams": {"Args": {"lr": 1}}},
    ):
        _problem(api.post("/tasks", json=bad), 422)
    assert _count_tasks(api, proj["id"]) == 0


def test_long_strings_and_too_many_tags_are_422(api: httpx.Client, proj: dict) -> None:
    t = f.task(api, project_id=proj["id"], project=None)
    for bad in (
        {"name": "n" * 256},
        {"tags": ["t" * 129]},
        {"tags": [f"t{i}" for i in range(65)]},
        {"comment": "c" * (1024 * 1024 + 1)},
    ):
        _problem(api.patch(f"/tasks/{t['id']}", json=bad), 422)
    after = f.ok(api.get(f"/tasks/{t['id']}"))
    assert after["name"] == t["name"] and after["tags"] == [] and after["comment"] == ""
    _problem(api.post("/projects", json={"name": "a//b"}), 422)
    _problem(api.post("/projects", json={"name": "p" * 1025}), 422)


def test_query_limits_are_422(api: httpx.Client) -> None:
    _problem(api.get("/tasks", params={"limit": 501}), 422)
    _problem(api.get("/tasks", params={"limit": 0}), 422)
    _problem(api.get("/tasks", params={"sort": "no_such_field"}), 422)
    _problem(api.get("/tasks", params={"cursor": "garbage!"}), 422)


def test_unknown_endpoint_and_method_are_problems(api: httpx.Client) -> None:
    _problem(api.get("/no-such-thing"), 404)
    _problem(api.put("/tasks"), 405)


def test_duplicate_project_is_409(api: httpx.Client) -> None:
    name = f.unique("dup")
    f.ok(api.post("/projects", json={"name": name}))
    _problem(api.post("/projects", json={"name": name}), 409)


def test_openapi_documents_limits(api: httpx.Client) -> None:
    schema = f.ok(api.get("/openapi.json"))
    task_create = schema["components"]["schemas"]["TaskCreate"]
    assert task_create["properties"]["name"]["maxLength"] == 255
    assert task_create["additionalProperties"] is False
    tags = task_create["properties"]["tags"]
    assert tags["maxItems"] == 64 and tags["items"]["maxLength"] == 128


@pytest.fixture
def small_hub(tmp_path) -> Iterator[Hub]:
    hub = make_hub(tmp_path / "hub", "sqlite")
    hub.extra_env = {"CORRAL_LIMIT_REQUEST_BODY_BYTES": "20000"}
    hub.start()
    yield hub
    hub.dispose()


def test_oversized_body_is_413_and_changes_nothing(small_hub: Hub) -> None:
    with small_hub.client() as api:
        proj = f.project(api)
        big = {"name": "x", "project_id": proj["id"], "comment": "c" * 30000}
        _problem(api.post("/tasks", json=big), 413)

        # also when the size is not announced (chunked upload)
        def chunks() -> Iterator[bytes]:
            data = httpx.Request("POST", "/", json=big).content
            for i in range(0, len(data), 1000):
                yield data[i : i + 1000]

        r = api.post("/tasks", content=chunks(), headers={"content-type": "application/json"})
        _problem(r, 413)
        assert _count_tasks(api, proj["id"]) == 0
        # a body under the limit still works
        f.ok(api.post("/tasks", json={"name": "x", "project_id": proj["id"]}))


# --- text the databases cannot store: NUL characters and lone surrogates ----------------


def _task_names(api: httpx.Client, project_id: str) -> list[str]:
    items = f.ok(api.get("/tasks", params={"project_id": project_id, "limit": 500}))["items"]
    return [t["name"] for t in items]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"name": "a\x00b"}, "name"),
        ({"name": "x", "comment": "c\x00"}, "comment"),
        ({"name": "x", "tags": ["ok", "t\x00"]}, "tags.1"),
        (
            {"name": "x", "hyperparams": {"General": {"lr": {"value": "0.1\x00"}}}},
            "hyperparams.General.lr.value",
        ),
        ({"name": "x", "hyperparams": {"General": {"l\x00r": {"value": 1}}}}, "General"),
    ],
)
def test_nul_in_json_text_is_422_naming_the_field(
    api: httpx.Client, proj: dict, body: dict, where: str
) -> None:
    problem = _problem(api.post("/tasks", json={**body, "project_id": proj["id"]}), 422)
    assert where in problem["detail"] and "NUL" in problem["detail"]
    assert problem["errors"][0]["loc"][0] == "body"
    assert _count_tasks(api, proj["id"]) == 0


def test_nul_in_an_update_or_an_event_batch_changes_nothing(api: httpx.Client, proj: dict) -> None:
    t = f.task(api, project_id=proj["id"], project=None, comment="before")
    _problem(api.patch(f"/tasks/{t['id']}", json={"comment": "after\x00"}), 422)
    assert f.ok(api.get(f"/tasks/{t['id']}"))["comment"] == "before"
    f.run_to(api, t["id"], "in_progress")
    batch = [
        {"type": "log", "stream": "stdout", "text": "line"},
        f.scalar("loss", "tra\x00in", 0, 1.0),
    ]
    problem = _problem(f.send_events(api, t["id"], batch), 422)
    assert "events.1.variant" in problem["detail"]
    assert f.ok(api.get(f"/tasks/{t['id']}/logs"))["items"] == []
    assert f.ok(api.get(f"/tasks/{t['id']}/scalars"))["series"] == []
    # console output may carry anything: its NULs are kept visible as U+FFFD
    batch[1] = f.scalar("loss", "train", 0, 1.0)
    batch[0]["text"] = "li\x00ne"
    f.ok(f.send_events(api, t["id"], batch))
    assert [x["text"] for x in f.ok(api.get(f"/tasks/{t['id']}/logs"))["items"]] == ["li\ufffdne"]
    _problem(api.post("/projects", json={"name": f.unique("p") + "\x00"}), 422)


def test_lone_surrogate_is_422_and_a_real_pair_is_kept(api: httpx.Client, proj: dict) -> None:
    pid = proj["id"]

    def raw(fields: str) -> str:  # JSON written by hand: encoders never write lone surrogates
        return '{"project_id": "' + pid + '", ' + fields + "}"

    lone = raw('"name": "x", "hyperparams": {"General": {"s": {"value": "a\\ud800"}}}')
    problem = _problem(f.post_json_text(api, "/tasks", lone), 422)
    assert "hyperparams.General.s.value" in problem["detail"] and "surrogate" in problem["detail"]
    _problem(f.post_json_text(api, "/tasks", raw('"name": "\\udc00"')), 422)
    assert _count_tasks(api, pid) == 0
    # a pair is one character (here U+1F600), and the six characters \u0000 are plain text
    f.ok(f.post_json_text(api, "/tasks", raw('"name": "smile \\ud83d\\ude00 \\\\u0000"')))
    assert _task_names(api, pid) == ["smile \U0001f600 \\u0000"]


def test_nul_in_query_string_or_path_is_422(api: httpx.Client, proj: dict) -> None:
    problem = _problem(api.get("/tasks?search=a%00b"), 422)
    assert "search" in problem["detail"]
    _problem(api.get("/tasks", params={"name": "x\x00"}), 422)
    _problem(api.get("/tasks/abc%00def"), 422)
    _problem(api.delete("/projects/abc%00"), 422)
    assert f.ok(api.get(f"/projects/{proj['id']}"))["id"] == proj["id"]


def test_log_cursor_beyond_64_bits_is_422(api: httpx.Client, proj: dict) -> None:
    t = f.task(api, project_id=proj["id"], project=None)
    for name in ("after", "before"):
        problem = _problem(api.get(f"/tasks/{t['id']}/logs", params={name: 2**70}), 422)
        assert name in problem["detail"]
    assert f.ok(api.get(f"/tasks/{t['id']}/logs", params={"after": 2**63 - 1}))["items"] == []


def test_range_with_thousands_of_digits_is_416_not_500(api: httpx.Client) -> None:
    path = f"files/{f.unique('range')}/data.bin"
    f.ok(api.put(path, content=b"0123456789"))
    huge = "9" * 5000
    r = api.get(path, headers={"Range": f"bytes={huge}-"})
    assert r.status_code == 416, r.text
    assert r.headers["content-range"] == "bytes */10"
    # an end (or a suffix) past any file means "to the end": the whole rest of the file
    r = api.get(path, headers={"Range": f"bytes=2-{huge}"})
    assert (r.status_code, r.content) == (206, b"23456789")
    r = api.get(path, headers={"Range": f"bytes=-{huge}"})
    assert (r.status_code, r.content) == (206, b"0123456789")
    r = api.get(path, headers={"Range": f"bytes={'0' * 5000}3-4"})
    assert (r.status_code, r.content) == (206, b"34")
