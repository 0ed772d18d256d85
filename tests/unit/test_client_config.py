from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from corral.client import config


def test_save_then_load_round_trip_with_private_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("CORRAL_HUB_URL", "CORRAL_ACCESS_KEY", "CORRAL_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "sub" / "config.toml"
    path.parent.mkdir()
    path.write_text('[agent]\nqueue = "gpu"\n')
    config.save(config.HubCredentials("http://hub:1", "AK", "SK"), path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = config.load(path)
    assert (loaded.url, loaded.access_key, loaded.secret_key) == ("http://hub:1", "AK", "SK")
    # other sections are kept
    assert config.read_file(path)["agent"] == {"queue": "gpu"}


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    config.save(config.HubCredentials("http://file:1", "AK", "SK"), path)
    monkeypatch.setenv("CORRAL_HUB_URL", "http://env:2")
    monkeypatch.setenv("CORRAL_ACCESS_KEY", "EK")
    loaded = config.load(path)
    assert (loaded.url, loaded.access_key, loaded.secret_key) == ("http://env:2", "EK", "SK")


def test_missing_file_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CORRAL_HUB_URL", "CORRAL_ACCESS_KEY", "CORRAL_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    loaded = config.load(tmp_path / "none.toml")
    assert loaded.url == config.DEFAULT_URL and not loaded.complete


def test_config_path_honours_corral_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRAL_CONFIG", str(tmp_path / "x.toml"))
    assert config.config_path() == tmp_path / "x.toml"
