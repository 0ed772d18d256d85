"""Hardening of a real hub: security headers on every answer, a private data dir, the
first admin's secrets only in 0600 files, and 507 (not 500) when the disk is full."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from corral.server.hardening import UI_CSP
from corral.testing.hub import Hub, make_hub
from tests import factories as f
from tests.disks import tmpfs


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _common_headers(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff", (r.url, r.headers)
    assert r.headers["referrer-policy"] == "same-origin", r.url
    assert r.headers["x-frame-options"] == "DENY", r.url


def test_every_kind_of_answer_has_the_security_headers(hub: Hub, api: httpx.Client) -> None:
    with httpx.Client(base_url=hub.url, timeout=60) as raw:
        answers = [
            raw.get("/health"),
            raw.get("/api/v1/tasks"),  # 401 problem
            api.get("/tasks"),
            api.get("/no-such-endpoint"),  # 404 problem
            api.post("/tasks", json={"name": "\x00"}),  # 422 from the text guard
            api.post("/tasks", json={"name": 5}),  # 422 from validation
        ]
        shell = raw.get("/")
        fallback = raw.get("/experiments/some/deep/link")
        answers += [shell, fallback]
        for r in answers:
            _common_headers(r)
        for r in (shell, fallback):
            assert r.status_code == 200 and "text/html" in r.headers["content-type"]
            assert r.headers["content-security-policy"] == UI_CSP
        policy = dict(p.strip().split(" ", 1) for p in UI_CSP.split(";"))
        assert policy["script-src"] == "'self'" and policy["default-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
        assert policy["base-uri"] == "'none'" and policy["form-action"] == "'self'"
        # the built UI's own files (when it is built) and the API's JSON get no page policy
        asset = next((a for a in shell.text.split('"') if a.startswith("/assets/")), None)
        if asset:
            r = raw.get(asset)
            assert r.status_code == 200
            _common_headers(r)
        assert "content-security-policy" not in api.get("/tasks").headers


def test_stored_html_is_sandboxed_not_a_page_of_the_hub(api: httpx.Client) -> None:
    path = f"files/{f.unique('xss')}/page.html"
    f.ok(api.put(path, content=b"<script>fetch('/api/v1/keys')</script>"))
    r = api.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert csp.split(";")[0].strip() == "sandbox" and "default-src 'none'" in csp
    _common_headers(r)


def test_data_dir_and_database_are_private_and_fixed_at_start(fresh_hub: Hub) -> None:
    data = fresh_hub.data_dir
    db = data / "corral.db"
    with fresh_hub.client() as api:  # a write, so that the WAL files exist
        f.project(api)
    assert _mode(data) == 0o700
    assert _mode(data / "files") == 0o700
    for path in (db, data / "corral.db-wal", data / "corral.db-shm"):
        assert path.exists() and _mode(path) == 0o600, path
    assert _mode(fresh_hub.config_file) == 0o600
    # a data dir made by an older version (or by hand) is fixed at the next start
    fresh_hub.stop()
    data.chmod(0o755)
    (data / "files").chmod(0o755)
    db.chmod(0o644)
    fresh_hub.start()
    assert _mode(data) == 0o700 and _mode(data / "files") == 0o700 and _mode(db) == 0o600


def test_first_start_never_prints_the_admin_secrets(tmp_path: Path) -> None:
    hub = make_hub(tmp_path / "hub", "sqlite")
    env = hub.env

    def without_password() -> dict[str, str]:
        e = env()
        e.pop("CORRAL_ADMIN_PASSWORD")
        return e

    hub.env = without_password  # type: ignore[method-assign]
    hub.start()
    try:
        password_file = hub.data_dir / "initial_admin_password"
        password = password_file.read_text().strip()
        log = hub.log()
        assert "First start" in log
        assert hub.secret_key not in log and password not in log
        assert str(password_file) in log and str(hub.config_file) in log
        assert _mode(password_file) == 0o600 and _mode(hub.config_file) == 0o600
    finally:
        hub.dispose()


# --- a full disk ----------------------------------------------------------------------------


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    """A 6 MiB tmpfs: a disk that really fills up (where PostgreSQL's account reaches it)."""
    with tmpfs("6m") as mount:
        yield mount


@pytest.fixture
def pg_disk() -> Iterator[Path]:
    """A 32 MiB tmpfs: room for an empty database with the hub's schema, then filled."""
    with tmpfs("32m") as mount:
        yield mount


def _fill(disk: Path) -> Path:
    """Take every free byte of ``disk`` with one file; returns it (remove it to free)."""
    filler = disk / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


def _insufficient(r: httpx.Response) -> dict:
    assert r.status_code == 507, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["title"] == "Insufficient storage"
    assert "disk is full" in body["detail"] and "Free space" in body["detail"]
    return body


def test_full_disk_is_507_on_uploads_and_event_batches(tiny_disk: Path) -> None:
    hub = Hub(root=tiny_disk / "hub")
    hub.start()
    try:
        with hub.client() as api:
            t = f.task(api)
            f.run_to(api, t["id"], "in_progress")
            f.ok(f.send_events(api, t["id"], [f.scalar("loss", "train", 0, 1.0)]))
            tmp = hub.data_dir / "files" / ".tmp"
            # an upload larger than the disk: 507, and no half-written file is left
            _insufficient(api.put("files/big/blob.bin", content=b"x" * (8 * 1024 * 1024)))
            assert list(tmp.iterdir()) == []
            assert api.get("files/big/blob.bin").status_code == 404
            filler = _fill(tiny_disk)
            _insufficient(api.put("files/small/blob.bin", content=b"x" * 300_000))
            assert list(tmp.iterdir()) == []
            # an event batch that the database cannot hold
            batch = [f.scalar("loss", "train", i, 0.5) for i in range(1, 20_001)]
            batch += [{"type": "log", "stream": "stdout", "text": "y" * 200}] * 2000
            _insufficient(f.send_events(api, t["id"], batch))
            series = f.ok(api.get(f"/tasks/{t['id']}/scalars"))["series"]
            assert [len(s["iterations"]) for s in series] == [1]  # nothing half-stored
            # space freed: the same batch is stored
            filler.unlink()
            f.ok(f.send_events(api, t["id"], batch))
            f.ok(api.put("files/small/blob.bin", content=b"x" * 300_000))
        assert "Traceback" not in hub.log()
    finally:
        hub.dispose()


@pytest.fixture
def tiny_tablespace(pg_disk: Path) -> Iterator[str]:
    """A PostgreSQL database whose tables live on a small disk (a tablespace there).

    While that disk is full the server's checkpoints fail, and with them any CREATE or
    DROP DATABASE of other tests running in parallel: this holds the lock those take
    (``DATABASE_DDL_LOCK``) from before the disk fills until the database is gone.
    """
    import psycopg

    from corral.testing.hub import DATABASE_DDL_LOCK, _pg_admin_url

    base = os.environ.get("CORRAL_TEST_DATABASE_URL")
    if not base:
        pytest.skip("CORRAL_TEST_DATABASE_URL is not set: no PostgreSQL to fill")
    with psycopg.connect(_pg_admin_url(base), autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", (DATABASE_DDL_LOCK,))
        yield from _tablespace(base, pg_disk)


def _tablespace(base: str, disk: Path) -> Iterator[str]:
    import psycopg

    from corral.testing.hub import _pg_admin_url

    space = disk / "pg"
    space.mkdir()
    name = f.unique("full").replace("-", "_")
    try:
        import pwd

        owner = pwd.getpwnam("postgres")
        os.chown(space, owner.pw_uid, owner.pw_gid)
        with psycopg.connect(_pg_admin_url(base), autocommit=True) as conn:
            conn.execute(f"CREATE TABLESPACE {name} LOCATION '{space}'")
    except (KeyError, OSError, psycopg.Error) as e:
        pytest.skip(f"PostgreSQL cannot put a tablespace on this machine's tmpfs: {e}")
    head, _, _ = base.rpartition("/")
    with psycopg.connect(_pg_admin_url(base), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TABLESPACE {name}')
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(_pg_admin_url(base), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f"DROP TABLESPACE IF EXISTS {name}")


def test_full_disk_is_507_on_postgresql(
    tiny_tablespace: str, pg_disk: Path, tmp_path: Path
) -> None:
    hub = Hub(root=tmp_path / "hub", backend="postgres", database_url=tiny_tablespace)
    hub.start()
    try:
        with hub.client() as api:
            t = f.task(api)
            f.run_to(api, t["id"], "in_progress")
            filler = _fill(pg_disk)
            batch = [{"type": "log", "stream": "stdout", "text": "y" * 500}] * 4000
            _insufficient(f.send_events(api, t["id"], batch))
            assert f.ok(api.get(f"/tasks/{t['id']}/logs"))["items"] == []
            filler.unlink()
            # space freed: the hub takes writes again (PostgreSQL keeps the pages the
            # failed insert extended its tables by until a vacuum, so a smaller batch)
            f.ok(f.send_events(api, t["id"], batch[:100]))
            assert len(f.ok(api.get(f"/tasks/{t['id']}/logs"))["items"]) == 100
        assert "Traceback" not in hub.log()
    finally:
        hub.stop()  # the fixture drops the database (dispose would wait for its lock)


def test_a_script_keeps_its_reports_while_the_disk_is_full(tiny_disk: Path) -> None:
    from corral.testing.hub import client_env
    from tests.sdk.conftest import run_script

    hub = Hub(root=tiny_disk / "hub")
    hub.start()
    home = tiny_disk.parent / f"{tiny_disk.name}-home"
    try:
        env = client_env(hub, home, CORRAL_EXIT_TIMEOUT="3")
        project = f.unique("full")
        filler = _fill(tiny_disk)
        code = f"""
        from corral import Task
        task = Task.init(project_name={project!r}, task_name="full", auto_resource_monitoring=False)
        print("TASK " + task.id, flush=True)
        log = task.get_logger()
        for i in range(3000):
            log.report_scalar("loss", "train", value=1.0 / (i + 1), iteration=i)
        """
        out = run_script(code, env, home / "run1")
        task_id = next(x.split()[1] for x in out.stdout.splitlines() if x.startswith("TASK "))
        assert "disk is full" in out.stderr and "cannot reach" not in out.stderr, out.stderr
        assert any((home / ".corral" / "spool").glob(f"{task_id}-*/ops.jsonl"))
        filler.unlink()
        # space freed: the next run on the machine sends what the first one kept
        later = """
        import threading
        from corral import Task
        task = Task.init(project_name="later", task_name="later", auto_resource_monitoring=False)
        for thread in threading.enumerate():
            if thread.name == "corral-replay":
                thread.join(60)
        task.close()
        """
        run_script(later, env, home / "run2")
        with hub.client() as api:
            assert f.ok(api.get(f"/tasks/{task_id}"))["status"] == "completed"
            series = f.ok(api.get(f"/tasks/{task_id}/scalars", params={"full": "true"}))
            assert [s["iterations"] for s in series["series"]] == [list(range(3000))]
        assert "Traceback" not in hub.log()
    finally:
        hub.dispose()
        import shutil

        shutil.rmtree(home, ignore_errors=True)
