from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from corral.system.git import TRUNCATED_MARKER, TRUNCATED_PREFIX, git_env, strip_credentials


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://u:p@host/r.git", "https://host/r.git"),
        ("http://token@host:8080/r", "http://host:8080/r"),
        ("https://host/r.git", "https://host/r.git"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected


def test_git_env_never_prompts_and_ignores_the_caller_s_repository(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere.git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "index"))
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "1")
    monkeypatch.setenv("KEEP_ME", "yes")

    env = git_env(GIT_OPTIONAL_LOCKS="0")

    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["LC_ALL"] == "C"
    assert "BatchMode=yes" in env["GIT_SSH_COMMAND"]
    assert "GIT_DIR" not in env and "GIT_INDEX_FILE" not in env
    assert env["GIT_OPTIONAL_LOCKS"] == "0"
    assert env["KEEP_ME"] == "yes"
    assert os.environ["GIT_DIR"]  # the caller's environment is left alone


def test_git_env_finds_the_repository_of_the_working_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=git_env())
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "not-a-repo"))

    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=repo,
        env=git_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert Path(top).resolve() == repo.resolve()


def test_the_truncated_marker_starts_with_the_prefix() -> None:
    assert TRUNCATED_MARKER.startswith(TRUNCATED_PREFIX)
    assert TRUNCATED_MARKER.endswith("\n")
