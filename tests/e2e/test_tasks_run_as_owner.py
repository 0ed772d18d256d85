"""Tasks run as their owner: the attack of issue 13, and the worker role, end to end.

The attack: an agent started with an admin's key ran a normal user's task; the task
printed its environment, found the admin key there, and its owner made itself an
admin. Now the task's process gets a token of its own, issued at the lease for the
task's owner and scoped to the task; the agent's key stays with the agent. Every
test here uses a real hub (SQLite and PostgreSQL), a real ``corral agent`` process
and a real script; the script talks to the hub with nothing but ``urllib``.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub, make_hub
from tests import factories as f
from tests.agents import (
    StartAgent,
    console,
    make_queue,
    script_task,
    wait_for,
    wait_status,
)

pytestmark = pytest.mark.slow


# --- accounts -----------------------------------------------------------------------------


class Account:
    """A user of the hub and a client with its key."""

    def __init__(self, hub: Hub, user: dict[str, Any], key: dict[str, Any]) -> None:
        self.user = user
        self.access_key = str(key["access_key"])
        self.secret_key = str(key["secret_key"])
        self.api = httpx.Client(
            base_url=hub.url + "/api/v1",
            headers={"Authorization": f"Bearer {self.access_key}:{self.secret_key}"},
            timeout=60,
        )

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def env(self) -> dict[str, str]:
        """Client variables for a process that uses this account."""
        return {"CORRAL_ACCESS_KEY": self.access_key, "CORRAL_SECRET_KEY": self.secret_key}


def make_account(hub: Hub, api: httpx.Client, role: str = "user") -> Account:
    """A new account with ``role`` and an API key, made by the admin."""
    body = {"name": f.unique(role), "role": role}
    if role == "worker":
        body["kind"] = "service"  # an agent's account: keys only, no password
    user = f.ok(api.post("/users", json=body))
    key = f.ok(api.post("/keys", json={"user_id": user["id"], "label": "tests"}))
    return Account(hub, user, key)


@pytest.fixture
def accounts(hub: Hub, api: httpx.Client) -> Iterator[dict[str, Account]]:
    """alice and bob (normal users) and an agent's service account (role worker)."""
    made = {
        "alice": make_account(hub, api),
        "bob": make_account(hub, api),
        "worker": make_account(hub, api, "worker"),
    }
    yield made
    for account in made.values():
        account.api.close()


# --- the attack ---------------------------------------------------------------------------

#: the hostile task: prints its environment, looks for the agent's key, then tries to
#: use what it found; ``RESULT`` is what each try got
ATTACK = """
import json, os, urllib.error, urllib.request

hub = os.environ["CORRAL_HUB_URL"] + "/api/v1"
auth = "Bearer " + os.environ["CORRAL_ACCESS_KEY"] + ":" + os.environ["CORRAL_SECRET_KEY"]

def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(hub + path, data=data, method=method)
    req.add_header("Authorization", auth)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None

print("ENVIRONMENT " + json.dumps(dict(os.environ)))
found = {{}}
for label, path in (
    ("task config", os.environ.get("CORRAL_CONFIG", "")),
    ("home config", os.path.expanduser("~/.corral/config.toml")),
    ("agent environ", "/proc/%d/environ" % os.getppid()),
):
    try:
        with open(path, "rb") as f:
            found[label] = f.read().decode(errors="replace")
    except OSError as e:
        found[label] = type(e).__name__
print("FOUND " + json.dumps(found))

result = {{}}
result["create_admin"], _ = call("POST", "/users", {{"name": "mallory-{suffix}", "role": "admin"}})
status, keys = call("GET", "/keys")
result["list_keys"] = status
result["keys_listed"] = len(keys) if isinstance(keys, list) else 0
result["create_key"], _ = call("POST", "/keys", {{"label": "for later"}})
result["private_project"], _ = call("GET", "/projects/{private_project}")
result["write_other_task"], _ = call("PATCH", "/tasks/{other_task}", {{"comment": "pwned"}})
result["own_report"], _ = call("POST", "/tasks/" + os.environ["CORRAL_TASK_ID"] + "/events",
    {{"batch_id": "attack-1", "events": [{{"type": "scalar", "metric": "m", "variant": "v",
                                         "iteration": 0, "value": 1.0}}]}})
result["own_read"], _ = call("GET", "/tasks/" + os.environ["CORRAL_TASK_ID"])
print("RESULT " + json.dumps(result))
"""


def printed(lines: list[str], prefix: str) -> Any:
    """The JSON the task printed after ``prefix``."""
    for line in lines:
        if line.startswith(prefix):
            return json.loads(line[len(prefix) :])
    raise AssertionError(f"the task printed no {prefix!r} line; console:\n" + "\n".join(lines))


def test_a_task_run_by_an_admins_agent_cannot_act_as_admin_or_as_the_agent(
    hub: Hub,
    api: httpx.Client,
    accounts: dict[str, Account],
    start_agent: StartAgent,
    tmp_path: Path,
) -> None:
    alice, bob = accounts["alice"], accounts["bob"]
    # what bob keeps to himself, and a task of his in a public project
    private = f.ok(
        bob.api.post("/projects", json={"name": f.unique("bob"), "visibility": "private"})
    )
    other = f.task(bob.api, project_name=f.unique("bob-public"))
    # the agent is started the way the attack found it: with the admin's key, from its
    # config file (named by CORRAL_CONFIG, as `corral login` would have written it)
    config = tmp_path / "agent-config.toml"
    config.write_text(
        f'[hub]\nurl = "{hub.url}"\naccess_key = "{hub.access_key}"\n'
        f'secret_key = "{hub.secret_key}"\n'
    )
    queue = make_queue(api)
    agent = start_agent(
        hub,
        "--queue",
        queue,
        env={"CORRAL_CONFIG": str(config), "CORRAL_ACCESS_KEY": "", "CORRAL_SECRET_KEY": ""},
    )

    code = ATTACK.format(
        suffix=f.unique("x"), private_project=private["id"], other_task=other["id"]
    )
    task = script_task(alice.api, textwrap.dedent(code), queue, project=f.unique("alice"))
    done = wait_status(api, task["id"], "completed", "failed")
    lines = console(api, task["id"])
    assert done["status"] == "completed", "\n".join(lines) + agent.log()

    # nothing the task could read holds the agent's key
    everything = "\n".join(lines)
    assert hub.secret_key not in everything
    env = printed(lines, "ENVIRONMENT ")
    assert env["CORRAL_ACCESS_KEY"] != hub.access_key
    assert not any(hub.secret_key in value for value in env.values())
    found = printed(lines, "FOUND ")
    assert found["task config"] == "FileNotFoundError"  # a config of its own, empty
    assert found["home config"] == "FileNotFoundError"
    if os.geteuid() != 0:
        # the agent is not dumpable: its environment and memory are closed to its tasks
        # (root reads every process's: a task running as root can read anything)
        assert found["agent environ"] == "PermissionError"
    assert hub.secret_key not in found["agent environ"]

    # the token is alice's, for this task: no admin, no keys, nothing private of bob's
    result = printed(lines, "RESULT ")
    assert result["create_admin"] == 403
    assert (result["list_keys"], result["keys_listed"]) == (403, 0)
    assert result["create_key"] == 403  # no lasting key out of a token for one run
    assert result["private_project"] == 404
    assert result["write_other_task"] in (403, 404)
    assert f.ok(api.get(f"/tasks/{other['id']}"))["comment"] != "pwned"
    users = f.ok(api.get("/users"))
    assert not any(u["name"].startswith("mallory-") for u in users)
    # while it ran, its token did what a task needs: its own reports arrived
    assert (result["own_report"], result["own_read"]) == (200, 200)
    metrics = f.ok(api.get(f"/tasks/{task['id']}"))["last_metrics"]
    assert metrics, "the task's own scalar did not arrive"

    # the run is over: the token is refused
    token = httpx.get(
        f"{hub.url}/api/v1/tasks/{task['id']}",
        headers={"Authorization": f"Bearer {env['CORRAL_ACCESS_KEY']}:{env['CORRAL_SECRET_KEY']}"},
        timeout=30,
    )
    assert token.status_code == 401


# --- the worker role ----------------------------------------------------------------------


def test_an_agent_with_a_worker_account_runs_tasks_of_any_owner(
    hub: Hub,
    api: httpx.Client,
    accounts: dict[str, Account],
    start_agent: StartAgent,
) -> None:
    alice, worker = accounts["alice"], accounts["worker"]
    queue = make_queue(api)
    agent = start_agent(hub, "--queue", queue, env=worker.env)
    # alice's task in a project of her own that only she may see
    f.ok(
        alice.api.post("/projects", json={"name": (name := f.unique("a")), "visibility": "private"})
    )
    code = """
        import os
        print("as the owner: " + os.environ["CORRAL_TASK_ID"])
        raise SystemExit(0)
    """
    task = script_task(alice.api, textwrap.dedent(code), queue, project=name)

    done = wait_status(alice.api, task["id"], "completed", "failed")
    assert done["status"] == "completed", agent.log()
    assert done["worker"] == agent.name
    # the agent's console lines and freeze reached the task, under the worker's rule
    assert f"as the owner: {task['id']}" in console(alice.api, task["id"])
    assert done["script"]["freeze"]


def test_the_owner_aborts_a_task_run_by_a_worker_accounts_agent(
    hub: Hub,
    api: httpx.Client,
    accounts: dict[str, Account],
    start_agent: StartAgent,
) -> None:
    alice, worker = accounts["alice"], accounts["worker"]
    queue = make_queue(api)
    # heartbeats far apart: the abort must come through the change log the agent watches
    # (a worker account's stream shows it the tasks its workers hold)
    slow = worker.env | {"CORRAL_AGENT_HEARTBEAT": "30"}
    agent = start_agent(hub, "--queue", queue, env=slow)
    code = """
        import time
        print("sleeping", flush=True)
        time.sleep(300)
    """
    task = script_task(alice.api, textwrap.dedent(code), queue, project=f.unique("a"))
    wait_for(lambda: "sleeping" in console(alice.api, task["id"]), "the task to run")

    f.ok(alice.api.post(f"/tasks/{task['id']}:abort", json={}))

    done = wait_status(alice.api, task["id"], "stopped")
    assert done["worker"] == agent.name
    stopped = wait_for(
        lambda: [line for line in console(alice.api, task["id"]) if "aborted on the hub" in line],
        "the agent to stop the process",
    )
    assert stopped == [
        f"corral-agent: the task was aborted on the hub (aborted by {alice.user['name']})"
        " — the process was ended by SIGTERM"
    ]


def test_a_worker_account_reads_only_the_tasks_leased_to_it(
    hub: Hub, api: httpx.Client, accounts: dict[str, Account]
) -> None:
    alice, worker = accounts["alice"], accounts["worker"]
    queue = make_queue(api)
    mine = f.task(alice.api, project_name=f.unique("a"))
    other = f.task(alice.api, project_name=f.unique("a"))
    for t in (mine, other):
        f.ok(alice.api.post(f"/tasks/{t['id']}:enqueue", json={"queue": queue}))
    worker_id = f.unique("w")
    f.ok(worker.api.post("/workers", json={"id": worker_id, "queues": [queue]}))
    leased = f.ok(worker.api.post("/queues:dequeue", json={"worker": worker_id, "queues": [queue]}))
    assert leased["task"]["id"] == mine["id"]
    assert leased["token"]["access_key"] and leased["token"]["secret_key"]

    # the task leased to its worker: read and updated
    assert worker.api.get(f"/tasks/{mine['id']}").status_code == 200
    f.ok(worker.api.post(f"/tasks/{mine['id']}:start", json={"worker": worker_id}))
    # anything else: as if it did not exist; no new tasks; nothing of an admin
    assert worker.api.get(f"/tasks/{other['id']}").status_code == 404
    assert worker.api.post("/tasks", json={"name": "x", "project": "p"}).status_code in (403, 404)
    assert worker.api.post("/users", json={"name": f.unique("u")}).status_code == 403
    assert worker.api.get("/keys", params={"all": "true"}).status_code in (403, 200)
    listed = worker.api.get("/keys", params={"all": "true"})
    if listed.status_code == 200:
        assert {k["user_id"] for k in listed.json()} <= {worker.id}
    f.ok(worker.api.post(f"/tasks/{mine['id']}:complete", json={}))


def test_a_normal_users_key_cannot_dequeue_or_register_a_worker(
    hub: Hub, api: httpx.Client, accounts: dict[str, Account]
) -> None:
    alice, worker = accounts["alice"], accounts["worker"]
    queue = make_queue(api)
    waiting = f.task(alice.api, project_name=f.unique("a"))
    f.ok(alice.api.post(f"/tasks/{waiting['id']}:enqueue", json={"queue": queue}))
    worker_id = f.unique("w")
    f.ok(worker.api.post("/workers", json={"id": worker_id, "queues": [queue]}))

    refused = alice.api.post("/workers", json={"id": f.unique("w"), "queues": [queue]})
    assert refused.status_code == 403
    assert "worker" in refused.json()["detail"]
    assert (
        alice.api.post("/queues:dequeue", json={"worker": worker_id, "queues": [queue]})
    ).status_code == 403
    assert alice.api.post(f"/workers/{worker_id}:heartbeat", json={}).status_code == 403
    assert alice.api.delete(f"/workers/{worker_id}").status_code == 403
    # another worker account cannot drive this worker either
    stranger = make_account(hub, api, "worker")
    try:
        taken = stranger.api.post("/queues:dequeue", json={"worker": worker_id, "queues": [queue]})
        assert taken.status_code == 403
    finally:
        stranger.api.close()
    # nothing was leased
    assert f.ok(api.get(f"/tasks/{waiting['id']}"))["worker"] is None


def test_a_task_token_ends_with_every_way_a_run_ends(
    hub: Hub, api: httpx.Client, accounts: dict[str, Account]
) -> None:
    """completed, failed, aborted, reset, dequeued back, deleted, lease lost with the worker."""
    alice, worker = accounts["alice"], accounts["worker"]
    queue = make_queue(api)
    worker_id = f.unique("w")
    f.ok(worker.api.post("/workers", json={"id": worker_id, "queues": [queue]}))

    def lease() -> tuple[str, httpx.Client]:
        t = f.task(alice.api, project_name=f.unique("a"))
        f.ok(alice.api.post(f"/tasks/{t['id']}:enqueue", json={"queue": queue}))
        got = f.ok(
            worker.api.post("/queues:dequeue", json={"worker": worker_id, "queues": [queue]})
        )
        assert got["task"]["id"] == t["id"]
        token = got["token"]
        client = httpx.Client(
            base_url=hub.url + "/api/v1",
            headers={"Authorization": f"Bearer {token['access_key']}:{token['secret_key']}"},
            timeout=60,
        )
        assert client.get(f"/tasks/{t['id']}").status_code == 200
        return t["id"], client

    endings = {
        "completed": lambda tid: [
            worker.api.post(f"/tasks/{tid}:start", json={"worker": worker_id}),
            worker.api.post(f"/tasks/{tid}:complete", json={}),
        ],
        "failed": lambda tid: [
            worker.api.post(f"/tasks/{tid}:start", json={"worker": worker_id}),
            worker.api.post(f"/tasks/{tid}:fail", json={"reason": "x"}),
        ],
        "aborted": lambda tid: [
            worker.api.post(f"/tasks/{tid}:start", json={"worker": worker_id}),
            alice.api.post(f"/tasks/{tid}:abort", json={}),
        ],
        "reset": lambda tid: [alice.api.post(f"/tasks/{tid}:reset", json={"force": True})],
        "dequeued": lambda tid: [alice.api.post(f"/tasks/{tid}:dequeue", json={})],
        "deleted": lambda tid: [alice.api.delete(f"/tasks/{tid}", params={"force": "true"})],
    }
    for ending, act in endings.items():
        tid, client = lease()
        try:
            for response in act(tid):
                assert response.status_code == 200, f"{ending}: {response.text}"
            refused = client.get(f"/tasks/{tid}")
            assert refused.status_code == 401, f"{ending}: the token still works"
        finally:
            client.close()

    # the worker goes away while it holds a lease: the lease ends, so does the token
    tid, client = lease()
    try:
        f.ok(worker.api.delete(f"/workers/{worker_id}"))
        assert client.get(f"/tasks/{tid}").status_code == 401
        assert f.ok(api.get(f"/tasks/{tid}"))["status"] == "queued"  # back in its queue
    finally:
        client.close()


def test_a_task_whose_owner_is_deactivated_is_not_run(
    hub: Hub, api: httpx.Client, accounts: dict[str, Account]
) -> None:
    worker = accounts["worker"]
    carol = make_account(hub, api)
    queue = make_queue(api)
    try:
        orphan = f.task(carol.api, project_name=f.unique("c"))
        f.ok(carol.api.post(f"/tasks/{orphan['id']}:enqueue", json={"queue": queue}))
    finally:
        carol.api.close()
    after = f.task(api, project_name=f.unique("admin"))
    f.ok(api.post(f"/tasks/{after['id']}:enqueue", json={"queue": queue}))
    f.ok(api.delete(f"/users/{carol.id}"))
    worker_id = f.unique("w")
    f.ok(worker.api.post("/workers", json={"id": worker_id, "queues": [queue]}))

    got = f.ok(worker.api.post("/queues:dequeue", json={"worker": worker_id, "queues": [queue]}))

    # the next task is leased; the one nobody can run as ends with the reason
    assert got["task"]["id"] == after["id"]
    failed = f.ok(api.get(f"/tasks/{orphan['id']}"))
    assert failed["status"] == "failed"
    assert "deactivated" in failed["status_reason"]


# --- token expiry -------------------------------------------------------------------------


@pytest.fixture
def short_token_hub(tmp_path: Path) -> Iterator[Hub]:
    """A hub of its own whose task tokens live 3 seconds unless a heartbeat extends them."""
    h = make_hub(tmp_path / "hub", "sqlite")
    h.extra_env["CORRAL_TASK_TOKEN_MINUTES"] = "0.05"
    h.start()
    yield h
    h.dispose()


LONG_REPORTER = """
import json, os, time, urllib.error, urllib.request

hub = os.environ["CORRAL_HUB_URL"] + "/api/v1"
auth = "Bearer " + os.environ["CORRAL_ACCESS_KEY"] + ":" + os.environ["CORRAL_SECRET_KEY"]
start = time.monotonic()
i = 0
while True:
    event = {"type": "scalar", "metric": "m", "variant": "v", "iteration": i, "value": float(i)}
    body = {"batch_id": "b%d" % i, "events": [event]}
    req = urllib.request.Request(hub + "/tasks/" + os.environ["CORRAL_TASK_ID"] + "/events",
                                 data=json.dumps(body).encode(), method="POST")
    req.add_header("Authorization", auth)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200
    except urllib.error.HTTPError as e:
        raise SystemExit(f"report {i} refused: {e.code} {e.read().decode()}")
    # past three lifetimes of an unextended token, and more than one report after each
    if time.monotonic() - start > 10 and i >= 10:
        break
    i += 1
    time.sleep(0.5)
print("reported " + str(i + 1))
"""


def test_heartbeats_keep_a_running_tasks_token_alive(
    short_token_hub: Hub, start_agent: StartAgent, tmp_path: Path
) -> None:
    hub = short_token_hub
    with hub.client() as api:
        worker = make_account(hub, api, "worker")
        try:
            queue = make_queue(api)
            agent = start_agent(hub, "--queue", queue, env=worker.env)
            task = script_task(api, LONG_REPORTER, queue)
            done = wait_status(api, task["id"], "completed", "failed", timeout=120)
            lines = console(api, task["id"])
            assert done["status"] == "completed", "\n".join(lines) + agent.log()
            count = int(printed(lines, "reported "))
            # more reports than one token lifetime allows, each accepted with the token
            assert count > 10
            assert done["last_iteration"] == count - 1
        finally:
            worker.api.close()


def test_a_lost_dequeue_answer_gets_a_new_token_and_the_old_one_ends(
    hub: Hub, api: httpx.Client, accounts: dict[str, Account]
) -> None:
    alice, worker = accounts["alice"], accounts["worker"]
    queue = make_queue(api)
    task = f.task(alice.api, project_name=f.unique("a"))
    f.ok(alice.api.post(f"/tasks/{task['id']}:enqueue", json={"queue": queue}))
    worker_id = f.unique("w")
    f.ok(worker.api.post("/workers", json={"id": worker_id, "queues": [queue]}))
    lost = f.ok(worker.api.post("/queues:dequeue", json={"worker": worker_id, "queues": [queue]}))

    again = f.ok(worker.api.post(f"/workers/{worker_id}:token", json={"task_id": task["id"]}))

    def reads(token: dict[str, Any]) -> int:
        auth = {"Authorization": f"Bearer {token['access_key']}:{token['secret_key']}"}
        return httpx.get(f"{hub.url}/api/v1/tasks/{task['id']}", headers=auth).status_code

    assert (reads(again), reads(lost["token"])) == (200, 401)
    # only for the worker's own tasks
    other = f.task(alice.api, project_name=f.unique("a"))
    refused = worker.api.post(f"/workers/{worker_id}:token", json={"task_id": other["id"]})
    assert refused.status_code == 404
    assert (
        alice.api.post(f"/workers/{worker_id}:token", json={"task_id": task["id"]}).status_code
        == 403
    )
