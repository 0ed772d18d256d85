"""A real OpenID Connect provider on loopback, and a hub pointed at it.

The provider is the certified npm package ``oidc-provider``, run by ``provider.mjs``
beside this file with its own ``package.json``/``package-lock.json``; ``npm ci``
installs it the first time (a fresh clone has no ``node_modules``). Its accounts
live in a JSON file it reads at every login, so a test adds accounts and changes
their groups with :meth:`LocalProvider.add_account`.

:func:`drive_login` walks the provider's login and consent forms with httpx and
stops at the redirect back to the hub, so a test can follow it, change it or
replay it.
"""

from __future__ import annotations

import fcntl
import json
import re
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import sqlalchemy as sa

from corral.testing.hub import Hub, free_port, make_hub
from tests.agents import wait_for

HERE = Path(__file__).parent
SSO_NAME = "Test SSO"


def ensure_installed() -> None:
    """``npm ci`` here once (a file lock keeps parallel test workers from racing)."""
    marker = HERE / "node_modules" / "oidc-provider" / "package.json"
    if marker.exists():
        return
    with (Path(tempfile.gettempdir()) / "corral-test-oidc-npm.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=HERE,
                check=True,
                timeout=600,
            )


@dataclass
class LocalProvider:
    root: Path
    redirect_uri: str
    #: the host name in the issuer URL (it always listens on 127.0.0.1)
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    client_id: str = "corral-hub"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    process: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def accounts_file(self) -> Path:
        return self.root / "accounts.json"

    def add_account(
        self, login: str, password: str, *, groups: list[str] | None = None, **claims: Any
    ) -> None:
        """Add (or replace) an account; ``claims`` may set email, name, preferred_username."""
        accounts = json.loads(self.accounts_file.read_text())
        accounts[login] = {"password": password, "groups": groups or [], **claims}
        tmp = self.accounts_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(accounts))
        tmp.replace(self.accounts_file)

    def start(self, timeout: float = 60) -> LocalProvider:
        ensure_installed()
        self.root.mkdir(parents=True, exist_ok=True)
        self.accounts_file.write_text("{}")
        config = self.root / "provider.json"
        config.write_text(
            json.dumps(
                {
                    "port": self.port,
                    "host": self.host,
                    "accounts_file": str(self.accounts_file),
                    "client": {
                        "client_id": self.client_id,
                        "client_secret": self.client_secret,
                        "redirect_uris": [self.redirect_uri],
                    },
                }
            )
        )
        log = (self.root / "provider.log").open("ab")
        self.process = subprocess.Popen(
            ["node", str(HERE / "provider.mjs"), str(config)],
            cwd=HERE,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{self.port}/.well-known/openid-configuration"

        def answers() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"the OIDC provider exited:\n{self.log()}")
            try:
                return httpx.get(url, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_for(answers, "the OIDC provider to answer", timeout)
        except AssertionError as e:
            raise RuntimeError(f"{e}:\n{self.log()}") from e
        return self

    def log(self) -> str:
        path = self.root / "provider.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


@contextmanager
def sso_hub(
    root: Path, backend: str, *, provider_host: str = "127.0.0.1"
) -> Iterator[tuple[Hub, LocalProvider]]:
    """A local provider and a hub (``backend``) with single sign-on pointed at it.

    ``provider_host="localhost"`` puts the provider on another site than the hub
    (127.0.0.1) for a browser, so cookies behave as with a real provider.
    """
    hub = make_hub(root / "hub", backend)
    hub.port = free_port()
    provider = LocalProvider(
        root / "provider", redirect_uri=f"{hub.url}/api/v1/auth/oidc/callback", host=provider_host
    )
    provider.start()
    hub.extra_env = {
        "CORRAL_OIDC_ISSUER": provider.issuer,
        "CORRAL_OIDC_CLIENT_ID": provider.client_id,
        "CORRAL_OIDC_CLIENT_SECRET": provider.client_secret,
        "CORRAL_OIDC_NAME": SSO_NAME,
        "CORRAL_PUBLIC_URL": hub.url,
    }
    try:
        hub.start()
        yield hub, provider
    finally:
        hub.dispose()
        provider.stop()


_FORM = re.compile(r'<form method="post" action="([^"]+)"')


def drive_login(
    client: httpx.Client, hub: Hub, login: str, password: str, *, next_path: str = "/"
) -> str:
    """Start SSO at the hub and sign in at the provider; return the callback URL (unvisited)."""
    response = client.get(f"{hub.url}/api/v1/auth/oidc/login", params={"next": next_path})
    callback = f"{hub.url}/api/v1/auth/oidc/callback"
    for _ in range(20):
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(callback):
                return location
            response = client.get(location)
            continue
        assert response.status_code == 200, response.text
        actions = _FORM.findall(response.text)
        assert actions, response.text
        target = urljoin(str(response.url), actions[0])
        if target.endswith("/login"):
            if "Wrong user name or password" in response.text:
                raise AssertionError("the provider refused the password")
            response = client.post(target, data={"login": login, "password": password})
        else:  # the consent page: its first form is "Allow"
            response = client.post(target)
    raise AssertionError("the login did not come back to the hub")


def database(hub: Hub) -> sa.Engine:
    """The hub's own database (for what the API does not show yet: audit rows, teams)."""
    url = hub.database_url or f"sqlite:///{hub.data_dir / 'corral.db'}"
    return sa.create_engine(url)
