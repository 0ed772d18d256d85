"""First start: the admin user and key, the client config file, the default queues.

The first admin's secrets go to files only the hub's account reads (0600): the
password to ``<data dir>/initial_admin_password`` (when generated), the API key to
the client config file (or ``<data dir>/initial_admin_key`` when that is not
written). They are never printed: ``corral server`` says where they are.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from corral.client import config as client_config
from corral.errors import ConflictError
from corral.server.auth.credentials import (
    AdminPassword,
    digest,
    new_key_pair,
    prepare_admin_password,
)
from corral.server.db.models import ApiKey, Queue, User
from corral.server.db.unit_of_work import write_transaction
from corral.server.settings import ServerSettings

DEFAULT_QUEUES = ("default", "services")


@dataclass
class FirstStart:
    access_key: str
    secret_key: str
    password_file: Path | None
    config_file: Path | None
    config_skipped_reason: str = ""
    #: the key, when it could not go to the client config file
    key_file: Path | None = None


def _write_secret_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)


def ensure_defaults(
    factory: sessionmaker[Session],
    settings: ServerSettings,
    admin_password: Callable[[], AdminPassword] | None = None,
) -> FirstStart | None:
    """Create the admin and default queues if missing. Returns the new credentials on first start.

    ``admin_password`` gives the admin's password already hashed (``corral server``
    hashes it in a thread while the hub loads); by default it is made here.
    """
    try:
        with write_transaction(factory) as session:
            for name in DEFAULT_QUEUES:
                if session.scalar(select(Queue.id).where(Queue.name == name)) is None:
                    session.add(Queue(name=name))
            session.flush()
            if session.scalar(select(User.id).where(User.role == "admin").limit(1)) is not None:
                return None
            made = (admin_password or (lambda: prepare_admin_password(settings.admin_password)))()
            admin = User(name="admin", role="admin", password_hash=made.hash)
            session.add(admin)
            session.flush()
            access, secret = new_key_pair()
            session.add(
                ApiKey(
                    access_key=access,
                    secret_hash=digest(secret),
                    user_id=admin.id,
                    label="first start",
                )
            )
    except ConflictError:  # another process started at the same moment and won
        return None
    first = FirstStart(access, secret, None, None)
    if made.generated:
        first.password_file = settings.data_dir / "initial_admin_password"
        _write_secret_file(first.password_file, made.password)
    if settings.write_client_config:
        _write_client_config(first, settings)
    if first.config_file is None:
        # never printed: the secret is shown only by the 0600 files
        first.key_file = settings.data_dir / "initial_admin_key"
        _write_secret_file(
            first.key_file,
            f"access_key = {first.access_key}\nsecret_key = {first.secret_key}",
        )
    return first


def _write_client_config(first: FirstStart, settings: ServerSettings) -> None:
    path = client_config.config_path(settings.config)
    url = settings.local_url
    existing = client_config.read_file(path).get("hub", {})
    if existing.get("access_key") and existing.get("url") not in (None, url):
        first.config_skipped_reason = (
            f"{path} already holds credentials for {existing.get('url')}; left unchanged"
        )
        return
    first.config_file = client_config.save(
        client_config.HubCredentials(
            url=url, access_key=first.access_key, secret_key=first.secret_key
        ),
        path,
    )
