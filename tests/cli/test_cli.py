"""The ``corral`` command line, run as a real subprocess against a real hub."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from corral.testing.hub import Hub
from tests import factories as f


def corral(
    *args: str, config: Path, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("CORRAL_")}
    e["CORRAL_CONFIG"] = str(config)
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "corral", *args],
        env=e,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_explains_commands(tmp_path: Path) -> None:
    out = corral("--help", config=tmp_path / "c.toml")
    assert out.returncode == 0
    for word in ("server", "login", "user", "key"):
        assert word in out.stdout
    server_help = corral("server", "--help", config=tmp_path / "c.toml").stdout
    for flag in ("--host", "--port", "--data-dir", "--database-url", "CORRAL_PORT"):
        assert flag in server_help


def test_login_checks_and_saves_credentials(hub: Hub, tmp_path: Path) -> None:
    config = tmp_path / "other-machine.toml"
    out = corral(
        "login",
        "--url",
        hub.url,
        "--access-key",
        hub.access_key,
        "--secret-key",
        hub.secret_key,
        config=config,
    )
    assert out.returncode == 0, out.stderr
    assert "admin" in out.stdout
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    assert hub.secret_key in config.read_text()
    # the saved config works for the next command
    listed = corral("key", "list", "--json", config=config)
    assert listed.returncode == 0, listed.stderr
    assert hub.access_key in {k["access_key"] for k in json.loads(listed.stdout)}


def test_login_with_wrong_secret_fails_in_one_line_and_saves_nothing(
    hub: Hub, tmp_path: Path
) -> None:
    config = tmp_path / "c.toml"
    out = corral(
        "login",
        "--url",
        hub.url,
        "--access-key",
        hub.access_key,
        "--secret-key",
        "wrong",
        config=config,
    )
    assert out.returncode == 1
    assert out.stderr.strip().startswith("error:")
    assert "corral login" in out.stderr
    assert "Traceback" not in out.stderr
    assert not config.exists()


def test_unreachable_hub_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    out = corral(
        "user",
        "list",
        config=config,
        env={
            "CORRAL_HUB_URL": "http://127.0.0.1:9",
            "CORRAL_ACCESS_KEY": "a",
            "CORRAL_SECRET_KEY": "b",
        },
    )
    assert out.returncode == 1
    assert "cannot reach the hub" in out.stderr and "corral server" in out.stderr
    assert "Traceback" not in out.stderr


def test_users_and_keys_lifecycle(hub: Hub) -> None:
    config = hub.config_file
    name = f.unique("cli-user")
    made = corral("user", "create", name, "--password", "a-long-password", "--json", config=config)
    assert made.returncode == 0, made.stderr
    user = json.loads(made.stdout)
    assert user["name"] == name and user["role"] == "user"
    names = {u["name"] for u in json.loads(corral("user", "list", "--json", config=config).stdout)}
    assert name in names
    key = json.loads(corral("key", "create", "--label", "ci", "--json", config=config).stdout)
    assert key["secret_key"] and key["label"] == "ci"
    table = corral("key", "list", config=config).stdout
    assert key["access_key"] in table and key["secret_key"] not in table
    revoked = corral("key", "revoke", key["id"], config=config)
    assert revoked.returncode == 0 and key["access_key"] in revoked.stdout
    with hub.client() as api:
        listed = {k["id"]: k for k in f.ok(api.get("/keys"))}
        assert listed[key["id"]]["revoked_at"] is not None
    gone = corral("user", "deactivate", name, config=config)
    assert gone.returncode == 0, gone.stderr
    bad = corral("user", "create", name, "--password", "short", config=config)
    assert bad.returncode == 1 and bad.stderr.startswith("error:")


def test_server_with_an_invalid_setting_says_which_in_one_line(tmp_path: Path) -> None:
    out = corral(
        "server",
        "--data-dir",
        str(tmp_path / "data"),
        config=tmp_path / "c.toml",
        env={"CORRAL_LIMIT_PAGE_SIZE": "many"},
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "page_size" in lines[0], out.stderr
    assert not (tmp_path / "data").exists()  # nothing was created


def test_server_with_a_database_that_does_not_answer_says_so(
    tmp_path: Path,
) -> None:
    # port 1 on the loopback refuses at once: the schema thread's error reaches the user
    url = "postgresql+psycopg://nobody@127.0.0.1:1/corral?connect_timeout=5"
    out = corral(
        "server",
        "--data-dir",
        str(tmp_path / "data"),
        "--database-url",
        url,
        config=tmp_path / "c.toml",
    )
    assert out.returncode == 1
    assert out.stderr.startswith("error: cannot start the hub:"), out.stderr
    assert "Connection refused" in out.stderr and "Traceback" not in out.stderr
