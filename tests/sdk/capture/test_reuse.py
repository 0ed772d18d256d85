"""Reusing the capture within a process: reused while nothing changed, captured again when
the script, another file of the work tree or git's state changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.sdk.capture.conftest import Git

# Each step changes something (or nothing), then captures; the output says what the
# capture held and whether it was made again or reused.
STEPS = """\
import json, pathlib, subprocess, sys, time
from corral.sdk.capture import reuse

here = pathlib.Path(__file__).resolve().parent
out = []

def step(label):
    before = dict(reuse.stats)
    script, lines, _ = reuse.code_and_packages()
    out.append({
        "label": label,
        "reused": reuse.stats["reused"] > before["reused"],
        "diff": script["diff"],
        "code": script["code"],
        "commit": script["commit"],
        "requirements": lines,
        "freeze": script["freeze"],
    })

def settle():
    # a capture made right after a change is not kept (the change could have happened
    # while it ran): capture until one is kept
    for _ in range(200):
        before = reuse.stats["reused"]
        reuse.code_and_packages()
        if reuse.stats["reused"] > before:
            return
        time.sleep(0.05)
    raise SystemExit("the capture was never kept")

def git(*args):
    subprocess.run(["git", *args], cwd=here, check=True, capture_output=True)

step("first")
settle()
step("unchanged")
with open(__file__, "a") as f:
    f.write("import numpy  # edited\\n")
step("script edited")
settle()
(here / "outputs" / "metrics.txt").write_text("ignored")
step("ignored folder written")
(here / "extra.py").write_text("EXTRA = 1\\n")
step("untracked file")
(here / "pkg").mkdir()
(here / "pkg" / "mod.py").write_text("MOD = 1\\n")
step("file in a new folder")
if (here / ".git").exists():
    git("add", "-A")
    git("commit", "-q", "-m", "second")
    step("committed")
settle()
step("unchanged again")
print(json.dumps(out))
"""


def _steps(folder: Path, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    (folder / "train.py").write_text(STEPS)
    (folder / "outputs").mkdir(exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "train.py"],
        cwd=folder,
        env={**env, "CORRAL_CACHE_DIR": str(folder.parent / "cache")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return {s["label"]: s for s in json.loads(proc.stdout.strip().splitlines()[-1])}


def test_git_capture_is_reused_until_the_work_tree_or_git_changes(
    repo: Path, git: Git, git_env: dict[str, str]
) -> None:
    (repo / ".gitignore").write_text("*.log\noutputs/\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "ignore outputs")
    first_commit = git(repo, "rev-parse", "HEAD").strip()
    steps = _steps(repo, git_env)

    assert not steps["first"]["reused"] and steps["first"]["commit"] == first_commit
    assert steps["first"]["freeze"]  # packages are part of what is reused
    assert steps["unchanged"]["reused"]
    same = ("diff", "code", "commit", "requirements", "freeze")
    assert [steps["unchanged"][k] for k in same] == [steps["first"][k] for k in same]
    edited = steps["script edited"]
    assert not edited["reused"] and "import numpy  # edited" in edited["diff"]
    assert any(line.startswith("numpy==") for line in edited["requirements"])
    assert steps["ignored folder written"]["reused"]
    assert not steps["untracked file"]["reused"] and "extra.py" in steps["untracked file"]["diff"]
    new_folder = steps["file in a new folder"]
    assert not new_folder["reused"] and "pkg/mod.py" in new_folder["diff"]
    committed = steps["committed"]
    assert not committed["reused"] and committed["commit"] != first_commit
    assert committed["diff"] == ""
    assert steps["unchanged again"]["reused"]


def test_capture_outside_git_is_reused_until_the_folder_changes(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    steps = _steps(folder, git_env)

    assert not steps["first"]["reused"] and steps["first"]["commit"] == ""
    assert steps["unchanged"]["reused"]
    edited = steps["script edited"]
    assert not edited["reused"] and "import numpy  # edited" in edited["code"]
    assert any(line.startswith("numpy==") for line in edited["requirements"])
    assert steps["ignored folder written"]["reused"]  # a folder with no Python files
    assert not steps["untracked file"]["reused"]
    assert not steps["file in a new folder"]["reused"]
    assert steps["unchanged again"]["reused"]
