"""``corral user``, ``team``, ``key`` and ``audit``, as real subprocesses against a real hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from corral.testing.hub import Hub
from tests import factories as f
from tests.agents import wait_for
from tests.cli.test_cli import corral

STRONG = "violet harbor crane 47"


def ok_json(*args: str, hub: Hub, env: dict[str, str] | None = None) -> Any:
    out = corral(*args, "--json", config=hub.config_file, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def one_line_error(out: subprocess.CompletedProcess[str], *words: str) -> None:
    assert out.returncode == 1, out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), out.stderr
    for word in words:
        assert word in lines[0], out.stderr


def as_user(hub: Hub, key: dict[str, Any]) -> dict[str, str]:
    return {
        "CORRAL_HUB_URL": hub.url,
        "CORRAL_ACCESS_KEY": key["access_key"],
        "CORRAL_SECRET_KEY": key["secret_key"],
    }


def test_users(hub: Hub) -> None:
    config = hub.config_file
    name = f.unique("agent")
    agent = ok_json(
        "user", "create", name, "--service", "--role", "worker",
        "--allow-ip", "10.0.0.0/8", "--allow-ip", "::1", hub=hub,
    )  # fmt: skip
    assert agent["kind"] == "service" and agent["role"] == "worker"
    assert agent["allowed_ips"] == ["10.0.0.0/8", "::1/128"]
    person = f.unique("alice")
    made = corral("user", "create", person, "--password", STRONG, config=config)
    assert made.returncode == 0 and f"created user {person}" in made.stdout, made.stderr
    table = corral("user", "list", config=config).stdout
    assert person in table and name in table and "service" in table
    changed = ok_json("user", "set", person, "--role", "admin", "--email", "a@example.com", hub=hub)
    assert changed["role"] == "admin" and changed["email"] == "a@example.com"
    assert ok_json("user", "set", name, "--any-ip", hub=hub)["allowed_ips"] == []
    gone = corral("user", "deactivate", person, config=config)
    assert gone.returncode == 0 and f"deactivated user {person}" in gone.stdout
    listed = {u["name"]: u for u in ok_json("user", "list", hub=hub)}
    assert listed[person]["active"] is False
    back = ok_json("user", "set", person, "--activate", hub=hub)
    assert back["active"] is True


def test_user_errors_are_one_line(hub: Hub) -> None:
    config = hub.config_file
    name = f.unique("bad")
    one_line_error(corral("user", "create", name, "--password", "short", config=config), "12")
    one_line_error(
        corral("user", "create", name, "--allow-ip", "10.0.0.0/99", config=config),
        "not an IP network",
    )
    one_line_error(corral("user", "create", name, "--role", "king", config=config), "role")
    one_line_error(
        corral("user", "create", name, "--service", "--password", STRONG, config=config),
        "no password",
    )
    one_line_error(corral("user", "set", name, config=config), "nothing to change")
    one_line_error(corral("user", "deactivate", name, config=config), "no user")
    with hub.client() as api:
        assert api.get(f"/users/{name}").status_code == 404


def test_teams(hub: Hub) -> None:
    config = hub.config_file
    alice = ok_json("user", "create", f.unique("alice"), hub=hub)
    bob = ok_json("user", "create", f.unique("bob"), hub=hub)
    team = f.unique("vision")
    made = ok_json("team", "create", team, "--description", "the vision group", hub=hub)
    assert made["name"] == team and made["description"] == "the vision group"
    added = corral("team", "add", team, alice["name"], bob["name"], config=config)
    assert added.returncode == 0, added.stderr
    assert alice["name"] in added.stdout and bob["name"] in added.stdout
    shown = ok_json("team", "show", team, hub=hub)
    assert {m["name"] for m in shown["members"]} == {alice["name"], bob["name"]}
    removed = corral("team", "remove", team, bob["name"], config=config)
    assert removed.returncode == 0 and bob["name"] not in removed.stdout
    assert team in corral("team", "list", config=config).stdout
    one_line_error(corral("team", "add", team, f.unique("nobody"), config=config), "no user")
    one_line_error(corral("team", "create", team, config=config), "already exists")
    deleted = corral("team", "delete", team, config=config)
    assert deleted.returncode == 0, deleted.stderr
    assert team not in {t["name"] for t in ok_json("team", "list", hub=hub)}
    one_line_error(corral("team", "show", team, config=config), "no team")


def test_scoped_keys(hub: Hub) -> None:
    config = hub.config_file
    with hub.client() as api:
        project = f.project(api)
    key = ok_json(
        "key", "create", "--label", "dashboards", "--read-only", "--project", project["name"],
        "--expires", "30d", "--allow-ip", "127.0.0.1", hub=hub,
    )  # fmt: skip
    assert key["read_only"] and key["projects"] == [project["id"]]
    assert key["allowed_ips"] == ["127.0.0.1/32"]
    expires = datetime.fromisoformat(key["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(timezone.utc) <= timedelta(days=30)
    table = corral("key", "list", config=config).stdout
    row = next(line for line in table.splitlines() if key["access_key"] in line)
    assert "read-only" in row and project["name"] in row and "127.0.0.1/32" in row
    # the read-only key lists its own keys
    listed = ok_json("key", "list", hub=hub, env=as_user(hub, key))
    assert key["id"] in {k["id"] for k in listed}
    one_line_error(corral("key", "create", "--expires", "soon", config=config), "30d")
    one_line_error(corral("key", "create", "--expires", "2000-01-01", config=config), "past")
    one_line_error(
        corral("key", "create", "--project", f.unique("nope"), config=config),
        "wider than your own rights",
    )
    # a key made with the read-only key is refused
    one_line_error(corral("key", "create", config=config, env=as_user(hub, key)), "read-only")
    revoked = corral("key", "revoke", key["id"], config=config)
    assert revoked.returncode == 0 and key["access_key"] in revoked.stdout
    every = {k["id"]: k for k in ok_json("key", "list", "--all", hub=hub)}
    assert every[key["id"]]["revoked_at"] is not None


def test_keys_for_a_service_account(hub: Hub) -> None:
    robot = ok_json("user", "create", f.unique("robot"), "--service", hub=hub)
    key = ok_json("key", "create", "--user", robot["name"], "--label", "ci", hub=hub)
    assert key["user_id"] == robot["id"]
    theirs = corral("key", "list", "--user", robot["name"], config=hub.config_file)
    assert theirs.returncode == 0 and key["access_key"] in theirs.stdout
    assert robot["name"] in theirs.stdout
    me = corral("user", "list", "--json", config=hub.config_file, env=as_user(hub, key))
    assert me.returncode == 0, me.stderr


def test_audit(hub: Hub) -> None:
    config = hub.config_file
    team = ok_json("team", "create", f.unique("audited"), hub=hub)
    found = ok_json("audit", "--action", "team.*", "--target-id", team["id"], hub=hub)
    assert [e["action"] for e in found] == ["team.created"]
    assert found[0]["actor_name"] == "admin"
    table = corral("audit", "--target-id", team["id"], "--since", "1h", config=config)
    assert table.returncode == 0 and "team.created" in table.stdout and "admin" in table.stdout
    none = corral("audit", "--target-id", team["id"], "--until", "1h", config=config)
    assert none.returncode == 0 and "no audit entries" in none.stdout
    one_line_error(corral("audit", "--outcome", "maybe", config=config), "outcome")
    user = ok_json("user", "create", f.unique("nosy"), hub=hub)
    key = ok_json("key", "create", "--user", user["id"], hub=hub)
    one_line_error(corral("audit", config=config, env=as_user(hub, key)), "admin")


def test_audit_follow_prints_new_entries(hub: Hub) -> None:
    team = ok_json("team", "create", f.unique("followed"), hub=hub)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORRAL_")}
    env["CORRAL_CONFIG"] = str(hub.config_file)
    proc = subprocess.Popen(
        [sys.executable, "-m", "corral", "audit", "--follow", "--json",
         "--target-id", team["id"]],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")))  # type: ignore[union-attr]
    reader.start()
    try:
        wait_for(lambda: any("team.created" in line for line in lines), "the first entry")
        with hub.client() as api:
            user = f.ok(api.post("/users", json={"name": f.unique("late")}))
            f.ok(api.put(f"/teams/{team['id']}/members/{user['id']}"))
        wait_for(lambda: any("team.member_added" in line for line in lines), "the new entry")
        added = json.loads(next(line for line in lines if "team.member_added" in line))
        assert added["detail"]["user_id"] == user["id"]
    finally:
        proc.terminate()
        proc.wait(10)
        reader.join(10)
