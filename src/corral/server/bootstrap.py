"""First start: the admin user and key, the client config file, the default queues."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from corral.client import config as client_config
from corral.server.db.engine import begin_write
from corral.server.db.models import ApiKey, Queue, User
from corral.server.security import digest, hash_password, new_key_pair, new_password
from corral.server.settings import ServerSettings

DEFAULT_QUEUES = ("default", "services")


@dataclass
class FirstStart:
    access_key: str
    secret_key: str
    password_file: Path | None
    config_file: Path | None
    config_skipped_reason: str = ""


def _write_secret_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)


def ensure_defaults(factory: sessionmaker[Session], settings: ServerSettings) -> FirstStart | None:
    """Create the admin and default queues if missing. Returns the new credentials on first start."""
    with factory() as session:
        begin_write(session)
        for name in DEFAULT_QUEUES:
            if session.scalar(select(Queue.id).where(Queue.name == name)) is None:
                session.add(Queue(name=name))
        session.flush()
        if session.scalar(select(User.id).where(User.role == "admin").limit(1)) is not None:
            session.commit()
            return None
        generated = settings.admin_password is None
        password = settings.admin_password or new_password()
        admin = User(name="admin", role="admin", password_hash=hash_password(password))
        session.add(admin)
        session.flush()
        access, secret = new_key_pair()
        session.add(
            ApiKey(
                access_key=access, secret_hash=digest(secret), user_id=admin.id, label="first start"
            )
        )
        try:
            session.commit()
        except IntegrityError:  # another process started at the same moment and won
            session.rollback()
            return None
    first = FirstStart(access, secret, None, None)
    if generated:
        first.password_file = settings.data_dir / "initial_admin_password"
        _write_secret_file(first.password_file, password)
    if settings.write_client_config:
        _write_client_config(first, settings)
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
