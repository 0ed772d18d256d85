"""Server settings, read once from ``CORRAL_*`` environment variables and flags.

A value given to the constructor (a command-line flag) wins over the environment
variable ``<prefix><FIELD NAME IN CAPITALS>``, which wins over the default. Values
from the environment are strings, converted and checked by pydantic.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from corral.client.env_settings import EnvSettings

MiB = 1024 * 1024
GiB = 1024 * MiB


def default_data_dir() -> Path:
    return Path.home() / ".corral" / "data"


class Limits(EnvSettings):
    """Operator-tunable input limits (``CORRAL_LIMIT_*``), answered with 413/422.

    Fixed limits on names, tags and texts live in ``corral.schemas.common`` so that
    they appear in the OpenAPI schema.
    """

    env_prefix: ClassVar[str] = "CORRAL_LIMIT_"

    request_body_bytes: int = 64 * MiB
    file_bytes: int = 20 * GiB
    events_per_batch: int = 200_000
    page_size: int = 500
    log_line_chars: int = 64 * 1024
    plot_bytes: int = 4 * MiB


class ServerSettings(EnvSettings):
    """Settings of one ``corral server`` process (env prefix ``CORRAL_``)."""

    env_prefix: ClassVar[str] = "CORRAL_"

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    admin_password: str | None = None
    #: where the first start writes the admin's API key for local clients
    config: Path | None = None
    #: write the first admin key into the client config file (off for tests that share a home)
    write_client_config: bool = True
    session_hours: int = 24 * 7
    secure_cookies: bool = False
    workers: int = 1
    log_level: str = "info"
    #: seconds without a heartbeat before a worker is gone: its leased tasks go back to
    #: the front of their queues, its running tasks end failed ("worker lost")
    worker_timeout: float = Field(default=60.0, gt=0)
    #: days of worker and queue statistics kept for charts
    stats_days: float = Field(default=7.0, gt=0)
    #: recent changes kept in memory, so change streams that resume need not query
    change_window: int = Field(default=2048, ge=1)
    #: changes queued for one slow change stream before it reads the database instead
    change_buffer: int = Field(default=1000, ge=1)
    limits: Limits = Field(default_factory=Limits)
    #: the built web UI to serve (default: the one built into the package)
    ui_dir: Path | None = None

    # --- security (docs/architecture.md, "Authorization") ---------------------------
    #: the role every user has on a public project they are not a member of
    public_project_role: Literal["viewer", "editor"] = "viewer"
    #: minutes a task's token lives; each heartbeat of the worker running it extends it
    task_token_minutes: float = Field(default=60.0, gt=0)
    #: days of audit log kept
    audit_days: float = Field(default=365.0, gt=0)
    #: networks (CIDR, comma separated) that may use the hub at all; empty: any
    allowed_ips: list[str] = Field(default_factory=list)
    #: proxies (CIDR) whose ``X-Forwarded-For`` header names the client's address
    trusted_proxies: list[str] = Field(default_factory=list)
    #: the shortest password accepted
    password_min_length: int = Field(default=12, ge=8, le=1024)
    #: failed logins of one user before each next attempt must wait (a growing delay)
    login_delay_after: int = Field(default=5, ge=1)
    #: failed logins of one user before a temporary lockout
    login_lockout_after: int = Field(default=20, ge=1)
    login_lockout_minutes: float = Field(default=15.0, gt=0)
    #: failed logins from one address before that address is locked out
    address_lockout_after: int = Field(default=100, ge=1)
    #: single sign-on with OpenID Connect (off unless an issuer is set)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = "openid email profile groups"
    oidc_groups_claim: str = "groups"
    #: the login button's label
    oidc_name: str = "Single sign-on"
    #: the hub's address as browsers see it (for redirects back from the identity provider)
    public_url: str | None = None

    @field_validator("allowed_ips", "trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("allowed_ips", "trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for v in value:
            ipaddress.ip_network(v, strict=False)  # ValueError: pydantic names the field
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'corral.db'}"

    @property
    def local_url(self) -> str:
        """The URL a client on this machine uses to reach the hub."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"
