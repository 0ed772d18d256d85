"""restore_code against real git repositories: a bare "remote", a working clone with
uncommitted work, and the diff the SDK captures from it."""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from corral.agent.runners.base import Job, PrepareError
from corral.agent.runners.code import mask_url, restore_code
from corral.sdk.capture.git import capture_git

pytestmark = pytest.mark.timeout(120)


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


@dataclass
class Repo:
    remote: Path  # the bare repository tasks name as their repository
    work: Path  # a clone with commits pushed to the remote

    def commit_and_push(self, files: dict[str, str], message: str) -> str:
        for rel, text in files.items():
            path = self.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "-m", message)
        git(self.work, "push", "-q", "origin", "HEAD")
        return git(self.work, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(tmp_path, "clone", "-q", str(remote), "work")
    r = Repo(remote, tmp_path / "work")
    r.commit_and_push(
        {
            "train.py": "print('train v1')\n",
            "pkg/__init__.py": "",
            "pkg/mod.py": "print('module')\n",
            "src/data.txt": "one\ntwo\n",
        },
        "first",
    )
    return r


def make_job(tmp_path: Path, script: dict[str, Any], name: str = "w") -> tuple[Job, list[str]]:
    lines: list[str] = []
    task = {"id": "t" * 32, "script": script, "container": {}}
    return Job(task=task, workdir=tmp_path / name, hub_env={}, worker="w1", log=lines.append), lines


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (outside .git) and its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def captured_script(work: Path, entry: str = "train.py", working_dir: str = ".") -> dict[str, Any]:
    """The script section as the SDK captures it from ``work``."""
    info = capture_git(work / entry if not entry.startswith("-m") else work)
    assert info is not None
    return {
        "repository": info.repository,
        "branch": info.branch,
        "commit": info.commit,
        "diff": info.diff,
        "entry_point": entry,
        "working_dir": working_dir,
    }


def test_restore_reproduces_the_work_tree_with_uncommitted_changes(
    repo: Repo, tmp_path: Path
) -> None:
    (repo.work / "train.py").write_text("print('train v1, edited')\n")
    (repo.work / "src/data.txt").unlink()
    (repo.work / "notes").mkdir()
    (repo.work / "notes/new.md").write_text("untracked\nfile\n")
    script = captured_script(repo.work)
    assert "new.md" in script["diff"] and "edited" in script["diff"]
    job, lines = make_job(tmp_path, script)

    cwd, tail = restore_code(job, tmp_path / "cache")

    code = job.workdir / "code"
    assert cwd == code.resolve()
    assert tail == [str((code / "train.py").resolve())]
    assert tree(code) == tree(repo.work)
    assert any(f"cloning {repo.remote} at {script['commit']}" in ln for ln in lines)
    assert any("applying uncommitted changes (" in ln for ln in lines)
    # the task's own capture under the agent sees the same state as on the user's machine
    again = capture_git(code / "train.py")
    assert again is not None
    assert (again.repository, again.commit, again.diff) == (
        script["repository"],
        script["commit"],
        script["diff"],
    )
    # the task can run what was restored
    out = subprocess.run(["python3", *tail], cwd=cwd, capture_output=True, text=True, check=True)
    assert out.stdout == "train v1, edited\n"


def test_second_restore_uses_the_mirror_and_fetches_new_commits(repo: Repo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first, _ = make_job(tmp_path, captured_script(repo.work), "w1")
    restore_code(first, cache)
    mirror = cache / "vcs" / hashlib.sha1(str(repo.remote).encode()).hexdigest()
    assert (mirror / "HEAD").is_file()
    (mirror / "kept-marker").write_text("a re-clone would drop this")

    new_commit = repo.commit_and_push({"train.py": "print('train v2')\n"}, "second")
    second, lines = make_job(tmp_path, captured_script(repo.work), "w2")
    cwd, _ = restore_code(second, cache)

    assert (mirror / "kept-marker").is_file()
    assert any("fetching" in ln for ln in lines)
    assert (second.workdir / "code/train.py").read_text() == "print('train v2')\n"
    assert git(cwd, "rev-parse", "HEAD") == new_commit
    # the first run's folder still has the first version
    assert (first.workdir / "code/train.py").read_text() == "print('train v1')\n"


def test_branch_without_commit_checks_out_the_branch_head(repo: Repo, tmp_path: Path) -> None:
    head = repo.commit_and_push({"train.py": "print('head')\n"}, "head")
    job, _ = make_job(
        tmp_path, {"repository": repo.remote.as_uri(), "branch": "main", "entry_point": "train.py"}
    )
    cwd, _ = restore_code(job, tmp_path / "cache")
    assert git(cwd, "rev-parse", "HEAD") == head
    assert (cwd / "train.py").read_text() == "print('head')\n"


def test_module_entry_point_runs_from_the_working_dir(repo: Repo, tmp_path: Path) -> None:
    script = captured_script(repo.work, entry="-m pkg.mod", working_dir=".")
    job, _ = make_job(tmp_path, script)
    cwd, tail = restore_code(job, tmp_path / "cache")
    assert tail == ["-m", "pkg.mod"]
    out = subprocess.run(["python3", *tail], cwd=cwd, capture_output=True, text=True, check=True)
    assert out.stdout == "module\n"


def test_working_dir_inside_the_repository(repo: Repo, tmp_path: Path) -> None:
    script = captured_script(repo.work, working_dir="src")
    job, _ = make_job(tmp_path, script)
    cwd, tail = restore_code(job, tmp_path / "cache")
    assert cwd == (job.workdir / "code/src").resolve()
    assert tail == [str((job.workdir / "code/train.py").resolve())]


def test_stored_code_is_written_at_its_entry_point(tmp_path: Path) -> None:
    code = "import sys\nprint('stored', sys.argv[0])\n"
    job, lines = make_job(tmp_path, {"code": code, "entry_point": "sub/run.py", "working_dir": "."})
    cwd, tail = restore_code(job, tmp_path / "cache")
    target = job.workdir / "code/sub/run.py"
    assert target.read_text() == code
    assert cwd == (job.workdir / "code").resolve()
    assert tail == [str(target.resolve())]
    assert any("wrote the stored script" in ln for ln in lines)
    assert not (tmp_path / "cache").exists()  # no git, no cache


@pytest.mark.parametrize(
    "script",
    [
        {"code": "x = 1\n", "entry_point": "../evil.py"},
        {"code": "x = 1\n", "entry_point": "/etc/evil.py"},
        {"code": "x = 1\n", "entry_point": "a/../../evil.py"},
        {"code": "x = 1\n", "entry_point": "run.py", "working_dir": ".."},
        {"code": "x = 1\n", "entry_point": "-m ../evil"},
    ],
)
def test_paths_escaping_the_code_folder_are_rejected(
    tmp_path: Path, script: dict[str, Any]
) -> None:
    job, _ = make_job(tmp_path, script)
    with pytest.raises(PrepareError, match=r"entry point|working dir"):
        restore_code(job, tmp_path / "cache")
    assert not (tmp_path / "evil.py").exists()


def test_task_without_code_is_a_clear_error(tmp_path: Path) -> None:
    job, _ = make_job(tmp_path, {"entry_point": "train.py"})
    with pytest.raises(PrepareError, match="neither a repository nor a stored script"):
        restore_code(job, tmp_path / "cache")


def test_unknown_commit_reports_git_s_error(repo: Repo, tmp_path: Path) -> None:
    job, _ = make_job(
        tmp_path,
        {"repository": str(repo.remote), "commit": "0" * 40, "entry_point": "train.py"},
    )
    with pytest.raises(PrepareError, match=r"git checkout failed: .*0000000"):
        restore_code(job, tmp_path / "cache")


def test_missing_entry_point_in_the_repository(repo: Repo, tmp_path: Path) -> None:
    job, _ = make_job(tmp_path, {"repository": str(repo.remote), "entry_point": "nope.py"})
    with pytest.raises(PrepareError, match=r"'nope\.py' is not in its code"):
        restore_code(job, tmp_path / "cache")


def test_diff_that_does_not_apply_is_a_clear_error(repo: Repo, tmp_path: Path) -> None:
    script = captured_script(repo.work)
    script["diff"] = (
        "diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n"
        "@@ -1 +1 @@\n-print('not what is there')\n+print('x')\n"
    )
    job, _ = make_job(tmp_path, script)
    with pytest.raises(PrepareError, match="uncommitted changes do not apply"):
        restore_code(job, tmp_path / "cache")


def test_credentials_never_reach_logs_or_errors(tmp_path: Path) -> None:
    # port 9 on localhost refuses at once: the clone fails without waiting
    url = "http://alice:hunter2@127.0.0.1:9/org/repo.git"
    job, lines = make_job(tmp_path, {"repository": url, "entry_point": "train.py"})
    with pytest.raises(PrepareError) as err:
        restore_code(job, tmp_path / "cache")
    assert "hunter2" not in str(err.value)
    assert lines and not any("hunter2" in ln for ln in lines)
    assert any("http://***@127.0.0.1:9/org/repo.git" in ln for ln in lines)


def test_mask_url_leaves_plain_urls_alone() -> None:
    assert mask_url("git@github.com:org/r.git") == "git@github.com:org/r.git"
    assert mask_url("https://github.com/org/r.git") == "https://github.com/org/r.git"
    assert (
        mask_url("see https://u:p@h/r and ssh://git@h/r") == "see https://***@h/r and ssh://***@h/r"
    )


def test_an_absolute_working_dir_runs_from_the_code_root(tmp_path: Path) -> None:
    # the SDK keeps an absolute working dir when the run started outside its code
    job, lines = make_job(
        tmp_path, {"code": "x = 1\n", "entry_point": "run.py", "working_dir": "/home/me/data"}
    )
    cwd, tail = restore_code(job, tmp_path / "cache")
    assert cwd == job.workdir / "code"
    assert tail == [str(job.workdir / "code" / "run.py")]
    assert any("outside the code" in line for line in lines)
