"""The client configuration file, ``~/.corral/config.toml`` (``CORRAL_CONFIG`` points elsewhere).

::

    [hub]
    url = "http://127.0.0.1:8080"
    access_key = "CK..."
    secret_key = "..."

Environment variables ``CORRAL_HUB_URL``, ``CORRAL_ACCESS_KEY`` and
``CORRAL_SECRET_KEY`` override the file. The file is written with mode 0600.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_URL = "http://127.0.0.1:8080"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("CORRAL_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".corral" / "config.toml"


@dataclass
class HubCredentials:
    url: str = DEFAULT_URL
    access_key: str | None = None
    secret_key: str | None = None

    @property
    def complete(self) -> bool:
        return bool(self.access_key and self.secret_key)


def read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with path.open("rb") as f:
        data: dict[str, Any] = tomllib.load(f)
    return data


def load(path: str | os.PathLike[str] | None = None) -> HubCredentials:
    """Credentials from the config file, overridden by ``CORRAL_*`` environment variables."""
    hub = read_file(config_path(path)).get("hub", {})
    return HubCredentials(
        url=os.environ.get("CORRAL_HUB_URL") or hub.get("url") or DEFAULT_URL,
        access_key=os.environ.get("CORRAL_ACCESS_KEY") or hub.get("access_key"),
        secret_key=os.environ.get("CORRAL_SECRET_KEY") or hub.get("secret_key"),
    )


def save(creds: HubCredentials, path: str | os.PathLike[str] | None = None) -> Path:
    """Write the ``[hub]`` section (keeping other sections) with mode 0600."""
    target = config_path(path)
    data = read_file(target)
    data["hub"] = {
        "url": creds.url,
        "access_key": creds.access_key or "",
        "secret_key": creds.secret_key or "",
    }
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        tomli_w.dump(data, f)
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)
    return target
