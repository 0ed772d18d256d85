from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from corral.sdk.capture.script import MAX_CODE, TRUNCATED_MARKER, CodeInfo, capture_code
from tests.sdk.capture.conftest import Git

CAPTURE = """\
import dataclasses, json
from corral.sdk.capture.script import capture_code

info = capture_code()
print(json.dumps({**dataclasses.asdict(info), "script": info.to_script()}, default=str))
"""


def run(args: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_to_script_has_exactly_the_hub_fields() -> None:
    info = CodeInfo(entry_point="train.py", notebook_path=Path("x.ipynb"), root=Path("/r"))

    script = info.to_script()

    assert set(script) == {
        "repository",
        "branch",
        "commit",
        "diff",
        "entry_point",
        "working_dir",
        "code",
        "python",
    }
    assert script["entry_point"] == "train.py"
    assert all(isinstance(v, str) for v in script.values())


def test_script_in_a_git_repo(repo: Path, git: Git, git_env: dict[str, str]) -> None:
    git(repo, "remote", "add", "origin", "https://user:pw@example.com/acme/repo.git")
    (repo / "jobs").mkdir()
    (repo / "jobs" / "capture.py").write_text(CAPTURE)  # untracked: part of the diff
    (repo / "data").mkdir()

    out = run([str(repo / "jobs" / "capture.py")], cwd=repo / "data", env=git_env)

    assert out["repository"] == "https://example.com/acme/repo.git"
    assert out["branch"] == "main"
    assert out["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert out["entry_point"] == "jobs/capture.py"
    assert out["working_dir"] == "data"
    assert "capture_code()" in out["diff"]
    assert out["code"] == ""
    assert out["python"] == platform.python_version()
    assert out["root"] == str(repo.resolve())
    assert out["notebook_path"] is None
    assert out["script"]["entry_point"] == "jobs/capture.py"


def test_a_repo_without_a_remote_also_keeps_the_code(repo: Path, git_env: dict[str, str]) -> None:
    # no one else can clone this repository: an agent needs the script itself
    (repo / "capture.py").write_text(CAPTURE)

    out = run(["capture.py"], cwd=repo, env=git_env)

    assert out["repository"] == ""
    assert out["commit"]
    assert out["code"] == CAPTURE
    assert out["entry_point"] == "capture.py"


def test_working_dir_is_dot_at_the_root_and_absolute_outside(
    repo: Path, tmp_path: Path, git_env: dict[str, str]
) -> None:
    (repo / "capture.py").write_text(CAPTURE)
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    at_root = run(["capture.py"], cwd=repo, env=git_env)
    away = run([str(repo / "capture.py")], cwd=outside, env=git_env)

    assert at_root["working_dir"] == "."
    assert at_root["entry_point"] == "capture.py"
    assert away["working_dir"] == str(outside.resolve())
    assert away["entry_point"] == "capture.py"


def test_script_without_git_keeps_its_code(tmp_path: Path, git_env: dict[str, str]) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "capture.py").write_text(CAPTURE)

    out = run(["capture.py"], cwd=project, env=git_env)

    assert out["repository"] == out["commit"] == out["diff"] == ""
    assert out["code"] == CAPTURE
    assert out["entry_point"] == "capture.py"
    assert out["working_dir"] == "."
    assert out["root"] == str(project.resolve())


def test_module_run_with_dash_m(repo: Path, git_env: dict[str, str]) -> None:
    package = repo / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "train.py").write_text(CAPTURE)

    out = run(["-m", "pkg.train"], cwd=repo, env=git_env)

    assert out["entry_point"] == "-m pkg.train"
    assert out["working_dir"] == "."
    assert out["root"] == str(repo.resolve())


def test_package_main_without_git(tmp_path: Path, git_env: dict[str, str]) -> None:
    project = tmp_path / "project"
    package = project / "tool"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(CAPTURE)

    out = run(["-m", "tool"], cwd=project, env=git_env)

    assert out["entry_point"] == "-m tool"
    assert out["code"] == CAPTURE
    assert out["root"] == str(project.resolve())


def test_dash_c_has_no_code(tmp_path: Path, git_env: dict[str, str]) -> None:
    project = tmp_path / "project"
    project.mkdir()

    out = run(["-c", CAPTURE], cwd=project, env=git_env)

    assert out["entry_point"] == ""
    assert out["code"] == ""
    assert out["python"] == platform.python_version()


def test_explicit_argv0_and_size_cap(tmp_path: Path, git_env: dict[str, str]) -> None:
    big = tmp_path / "big.py"
    line = "x = 1  # padding padding padding\n"
    big.write_text(line * (MAX_CODE // len(line) + 100))

    info = capture_code(str(big))

    assert info.entry_point == "big.py"
    assert info.code.endswith(TRUNCATED_MARKER)
    body = info.code.removesuffix(TRUNCATED_MARKER)
    assert len(body.encode()) <= MAX_CODE
    assert body.endswith(line)


def test_terminal_ipython_has_no_code(tmp_path: Path, git_env: dict[str, str]) -> None:
    project = tmp_path / "project"
    project.mkdir()

    launched = run(["-m", "IPython", "--no-banner", "-c", CAPTURE], cwd=project, env=git_env)

    assert launched["entry_point"] == ""
    assert launched["code"] == ""
    assert launched["notebook_path"] is None
