"""A real hub process for tests: ``corral server`` on a random port with its own data dir.

With ``CORRAL_TEST_DATABASE_URL`` set, a PostgreSQL hub gets a database of its own
(created here, dropped when the hub is disposed).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ADMIN_PASSWORD = "admin-password-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_admin_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


#: A PostgreSQL advisory lock around creating and dropping test databases. Both ask the
#: server for a checkpoint, which fails while a test has filled a tablespace's disk
#: (tests/server/test_hardening.py): that test holds the lock exclusively while the disk
#: is full, the others take it shared, so parallel test workers wait instead of failing.
DATABASE_DDL_LOCK = 0x636F7272


def create_pg_database(base_url: str) -> str:
    """Create an empty database next to ``base_url``'s and return its URL."""
    import psycopg

    name = "corral_t_" + secrets.token_hex(6)
    with psycopg.connect(_pg_admin_url(base_url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock_shared(%s)", (DATABASE_DDL_LOCK,))
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = base_url.rpartition("/")
    return f"{head}/{name}"


def drop_pg_database(url: str) -> None:
    import psycopg

    head, _, name = url.rpartition("/")
    with psycopg.connect(_pg_admin_url(head + "/postgres"), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock_shared(%s)", (DATABASE_DDL_LOCK,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Hub:
    root: Path
    backend: str = "sqlite"
    database_url: str | None = None
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    access_key: str = ""
    secret_key: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def config_file(self) -> Path:
        return self.root / "config.toml"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_key}:{self.secret_key}"}

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            CORRAL_CONFIG=str(self.config_file),
            CORRAL_ADMIN_PASSWORD=ADMIN_PASSWORD,
            CORRAL_HUB_URL=self.url,
            **self.extra_env,
        )
        for var in ("CORRAL_ACCESS_KEY", "CORRAL_SECRET_KEY", "CORRAL_DATABASE_URL"):
            env.pop(var, None)
        return env

    def start(self, timeout: float = 60) -> Hub:
        if not self.port:
            self.port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "corral",
            "server",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        self.root.mkdir(parents=True, exist_ok=True)
        log = (self.root / "server.log").open("ab")
        self.process = subprocess.Popen(
            cmd, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub exited early:\n{self.log()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        else:
            raise RuntimeError(f"hub did not answer within {timeout}s:\n{self.log()}")
        self._read_credentials()
        return self

    def _read_credentials(self) -> None:
        deadline = time.monotonic() + 10
        while not self.config_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        data = tomllib.loads(self.config_file.read_text())["hub"]
        self.access_key, self.secret_key = data["access_key"], data["secret_key"]

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def restart(self) -> Hub:
        self.stop()
        return self.start()

    def client(self, **kw: object) -> httpx.Client:
        """An authenticated client (as the admin) rooted at ``/api/v1``."""
        kw.setdefault("timeout", 60)
        return httpx.Client(base_url=self.url + "/api/v1", headers=self.auth, **kw)  # type: ignore[arg-type]

    def anonymous(self) -> httpx.Client:
        return httpx.Client(base_url=self.url + "/api/v1", timeout=60)

    def dispose(self) -> None:
        self.stop()
        if self.backend == "postgres" and self.database_url:
            drop_pg_database(self.database_url)


def make_hub(root: Path, backend: str) -> Hub:
    url = None
    if backend == "postgres":
        base = os.environ["CORRAL_TEST_DATABASE_URL"]
        url = create_pg_database(base)
    return Hub(root=root, backend=backend, database_url=url)


def client_env(hub: Hub, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a script, CLI or agent on "another machine" of this hub.

    No ``CORRAL_*`` variable of the test process leaks in; HOME is ``home``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORRAL_")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        CORRAL_CONFIG=str(home / ".corral" / "config.toml"),
        CORRAL_HUB_URL=hub.url,
        CORRAL_ACCESS_KEY=hub.access_key,
        CORRAL_SECRET_KEY=hub.secret_key,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env
