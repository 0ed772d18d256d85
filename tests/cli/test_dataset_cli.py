"""``corral dataset ...`` run as real subprocesses against a real hub.

Each test has its own config file (a copy of the hub's) in its tmp folder, so the
*current dataset* state file next to it is its own, and its own dataset cache.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f
from tests.cli.test_cli import corral
from tests.cli.test_task_cli import one_line_error

# the CLI is a thin layer over the SDK: the routes it calls run on both databases in
# tests/server/api/test_dataset*.py and tests/datasets/test_dataset_*.py
pytestmark = pytest.mark.sqlite_hub


class Cli:
    """``corral dataset ...`` with this test's config file and dataset cache."""

    def __init__(self, hub: Hub, root: Path) -> None:
        self.config = root / "cfg" / "config.toml"
        self.config.parent.mkdir()
        shutil.copy(hub.config_file, self.config)
        self.env = {"CORRAL_DATASET_CACHE": str(root / "cache")}

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return corral("dataset", *args, config=self.config, env=self.env)

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)


@pytest.fixture
def cli(hub: Hub, tmp_path: Path) -> Cli:
    return Cli(hub, tmp_path)


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def version(api: httpx.Client, dataset_id: str) -> dict[str, Any]:
    return dict(f.ok(api.get(f"/datasets/{dataset_id}")))


def index(api: httpx.Client, dataset_id: str) -> dict[str, str]:
    page = f.ok(api.get(f"/datasets/{dataset_id}/files", params={"limit": 10_000}))
    return {row["path"]: row["sha256"] for row in page["items"]}


FIRST = {
    "a.txt": b"alpha\n",
    "sub/b.bin": bytes(range(256)) * 40,
    "sub/deep/c.csv": b"x,y\n1,2\n",
    "photo.jpg": b"\xff\xd8" + os.urandom(3000),
}


def make_final(cli: Cli, tmp_path: Path, project: str, name: str, files: dict[str, bytes]) -> str:
    """A final version holding ``files`` (through create, add, close)."""
    folder = write_tree(tmp_path / f"src-{name}-{len(files)}", files)
    made = cli.json("create", "--project", project, "--name", name)
    cli.ok("add", "--id", made["id"], "--files", str(folder))
    cli.ok("close", "--id", made["id"])
    return str(made["id"])


COMMANDS = ("create", "add", "remove", "sync", "upload", "close")
COMMANDS += ("list", "show", "get", "diff", "delete", "squash")


def test_every_command_has_help_with_an_example(tmp_path: Path) -> None:
    listed = corral("dataset", "--help", config=tmp_path / "c.toml", env={"COLUMNS": "120"})
    assert listed.returncode == 0, listed.stderr
    for command in COMMANDS:
        assert f" {command} " in listed.stdout, command
        shown = corral("dataset", command, "--help", config=tmp_path / "c.toml")
        assert shown.returncode == 0 and "Example" in shown.stdout, (command, shown.stdout)
    assert "dataset" in corral("--help", config=tmp_path / "c.toml").stdout


# --- the whole flow ---------------------------------------------------------------------


def test_create_add_close_get_then_a_child_version_and_its_diff(
    cli: Cli, api: httpx.Client, tmp_path: Path
) -> None:
    project, name = f.unique("ds-cli"), f.unique("parking")
    src = write_tree(tmp_path / "v1", FIRST)

    made = cli.json("create", "--project", project, "--name", name, "--tags", "raw", "cars")
    assert made["version"] == "1.0.0" and made["state"] == "draft"
    assert sorted(made["tags"]) == ["cars", "raw"]
    # no --id: the current dataset, and the command says which one it changed
    added = cli.ok("add", "--files", str(src / "a.txt"), str(src / "photo.jpg"))
    assert made["id"] in added.stdout and "2 files" in added.stdout and "to upload" in added.stdout
    # a folder's files go under --dataset-folder (else at the root, like clearml-data)
    cli.ok("add", "--files", str(src / "sub"), "--dataset-folder", "sub")
    assert version(api, made["id"])["stats"]["pending_count"] == len(FIRST)
    closed = cli.ok("close")
    assert "is final" in closed.stdout
    v1 = version(api, made["id"])
    assert v1["state"] == "final" and v1["stats"]["file_count"] == len(FIRST)
    assert sorted(index(api, made["id"])) == sorted(FIRST)

    got = cli.ok("get", made["id"])
    assert read_tree(Path(got.stdout.strip())) == FIRST

    # a child: rename one file, modify one, remove one, add one
    second = dict(FIRST)
    second["renamed.txt"] = second.pop("a.txt")
    second["sub/b.bin"] = b"changed" * 100
    del second["sub/deep/c.csv"]
    second["new/d.txt"] = b"delta\n"
    child = cli.json("create", "--project", project, "--name", name, "--parents", made["id"])
    assert child["version"] == "1.0.1" and child["parents"] == [made["id"]]
    synced = cli.ok("sync", "--folder", str(write_tree(tmp_path / "v2", second)))
    assert "2 removed, 2 added, 1 modified" in synced.stdout, synced.stdout
    cli.ok("close")

    diff = cli.json("diff", child["id"])  # against its parents
    changes = {row["path"]: row["change"] for row in diff["items"]}
    assert changes == {
        "a.txt": "removed",
        "sub/deep/c.csv": "removed",
        "renamed.txt": "added",
        "new/d.txt": "added",
        "sub/b.bin": "modified",
    }
    assert diff["summary"]["added"] == 2 and diff["summary"]["removed"] == 2
    # the other way round, naming the other version
    back = cli.json("diff", made["id"], child["id"])
    assert {r["path"]: r["change"] for r in back["items"]}["a.txt"] == "added"
    one = cli.ok("diff", child["id"], "--limit", "1")
    assert one.stdout.splitlines()[0].startswith("D a.txt") and "4 more paths" in one.stderr
    assert [r["path"] for r in cli.json("diff", child["id"], "--prefix", "sub/")["items"]] == [
        "sub/b.bin",
        "sub/deep/c.csv",
    ]
    text = cli.ok("diff", child["id"], "--change", "modified")
    assert text.stdout.splitlines()[0].startswith("M sub/b.bin")
    assert "2 added" in text.stdout and "1 modified" in text.stdout

    # by name: the highest final version
    latest = cli.ok("get", "--project", project, "--name", name)
    assert read_tree(Path(latest.stdout.strip())) == second
    copy = tmp_path / "mine"
    cli.ok("get", made["id"], "--copy", str(copy))
    assert read_tree(copy) == FIRST

    listed = cli.json("list", "--project", project)
    assert [row["version"] for row in listed] == ["1.0.1", "1.0.0"]
    shown = cli.ok("show", child["id"])
    for text_part in ("final", "1.0.1", made["id"], "2 added", "1 modified", "2 removed"):
        assert text_part in shown.stdout, text_part


def test_show_files_pages_with_a_cursor(cli: Cli, api: httpx.Client, tmp_path: Path) -> None:
    files = {f"f{i:02d}.txt": f"{i}".encode() for i in range(5)}
    dataset_id = make_final(cli, tmp_path, f.unique("ds-cli"), "paged", files)
    assert cli.json("show", dataset_id[:8])["id"] == dataset_id  # a prefix is enough
    first = cli.ok("show", dataset_id, "--files", "--limit", "2", "--json")
    page = json.loads(first.stdout)
    assert [r["path"] for r in page["items"]] == ["f00.txt", "f01.txt"]
    rest = cli.json("show", dataset_id, "--files", "--limit", "10", "--cursor", page["next_cursor"])
    assert [r["path"] for r in rest["items"]] == ["f02.txt", "f03.txt", "f04.txt"]
    table = cli.ok("show", dataset_id, "--files", "--limit", "2")
    assert "f01.txt" in table.stdout and "--cursor" in table.stderr
    assert cli.json("show", dataset_id, "--files", "--search", "F03")["items"][0]["path"] == (
        "f03.txt"
    )


def test_glob_paths_outside_storage_usages_and_parts(
    cli: Cli, api: httpx.Client, tmp_path: Path
) -> None:
    files = {"a.txt": b"a" * 3000, "b.txt": os.urandom(5000), "c.bin": b"c", "d/e.txt": b"e"}
    src = write_tree(tmp_path / "src", files)
    store = tmp_path / "outside"
    made = cli.json("create", "--project", f.unique("ds-cli"), "--name", "globbed")
    # a quoted glob, as clearml-data takes it: the folder's *.txt files, not c.bin
    cli.ok("add", "--files", f"{src}/*.txt")
    assert sorted(index(api, made["id"])) == ["a.txt", "b.txt", "d/e.txt"]
    one_line_error(cli("add", "--files", f"{src}/nothing/*.txt"), "no file or folder")
    # clearml-data's --storage: the blobs go there, not to the hub
    cli.ok("close", "--storage", store.as_uri(), "--max-workers", "1")
    stored = [p for p in store.rglob("*") if p.is_file()]
    assert stored, "nothing written to the outside storage"
    rows = f.ok(api.get(f"/datasets/{made['id']}/files"))["items"]
    assert all(row["blob_uri"].startswith("file://") for row in rows), rows

    # the tasks that used it
    task = f.task(api, name="trainer")
    f.ok(api.post(f"/datasets/{made['id']}/usages", json={"task_id": task["id"], "alias": "train"}))
    shown = cli.ok("show", made["id"])
    assert "used by" in shown.stdout and f"trainer ({task['id']}) as train" in shown.stdout

    # two parts make the whole
    got: dict[str, bytes] = {}
    for part in ("0", "1"):
        folder = cli.ok("get", made["id"], "--part", part, "--num-parts", "2").stdout.strip()
        got.update(read_tree(Path(folder)))
    assert got == {k: v for k, v in files.items() if k.endswith(".txt")}
    one_line_error(cli("get", made["id"], "--part", "2", "--num-parts", "2"), "--num-parts")


# Runs ``corral ARGS...`` with the client's blob upload wrapped: each stored blob's id is
# logged, and after the Nth one the process gets SIGINT, as from a user's Ctrl-C
# (0: never), so the interrupt lands mid-upload at a known point, without timing.
CTRL_C_AFTER = """
import os, signal, sys
from corral.cli.main import main
from corral.client.datasets import Datasets

log_path, stop_after = sys.argv[1], int(sys.argv[2])
real_put = Datasets.put_blob
sent = 0

def put_blob(self, *args, **kwargs):
    global sent
    answer = real_put(self, *args, **kwargs)
    sent += 1
    with open(log_path, "a") as log:
        log.write(answer["id"] + "\\n")
    if sent == stop_after:
        os.kill(os.getpid(), signal.SIGINT)
    return answer

Datasets.put_blob = put_blob
sys.argv = ["corral", *sys.argv[3:]]
main()
"""


def test_ctrl_c_during_upload_keeps_what_was_sent_and_upload_continues(
    cli: Cli, api: httpx.Client, tmp_path: Path
) -> None:
    files = {f"part/{i:03d}.bin": os.urandom(100_000) for i in range(60)}
    made = cli.json("create", "--project", f.unique("ds-cli"), "--name", "interrupted")
    cli.ok("add", "--files", str(write_tree(tmp_path / "src", files)))
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C_AFTER)

    def upload(log: Path, stop_after: int) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CORRAL_")}
        env.update(cli.env, CORRAL_CONFIG=str(cli.config))
        args = ["dataset", "upload", "--chunk-size", "1", "--max-workers", "1"]
        return subprocess.run(
            [sys.executable, str(script), str(log), str(stop_after), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    first_log, second_log = tmp_path / "first.txt", tmp_path / "second.txt"
    cut = upload(first_log, 2)
    assert cut.returncode == 130, cut.stdout + cut.stderr
    assert cut.stderr.strip().splitlines() == [
        "interrupted: run `corral dataset upload --chunk-size 1 --max-workers 1` again "
        "to go on where it stopped"
    ]
    first = set(first_log.read_text().split())
    left = version(api, made["id"])["stats"]["pending_count"]
    assert len(first) >= 2 and 0 < left < len(files)

    done = upload(second_log, 0)
    assert done.returncode == 0, done.stderr
    second = set(second_log.read_text().split())
    assert second and not first & second  # nothing sent twice
    cli.ok("close")
    assert read_tree(Path(cli.ok("get", made["id"]).stdout.strip())) == files


# --- the current dataset --------------------------------------------------------------


def test_commands_without_id_need_a_current_dataset(cli: Cli) -> None:
    for command in (("add", "--files", "."), ("upload",), ("close",), ("remove", "--files", "x")):
        one_line_error(cli(*command), "no current dataset", "corral dataset create")


def test_the_current_dataset_is_the_last_created_and_forgotten_when_deleted(
    cli: Cli, api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("ds-cli")
    first = cli.json("create", "--project", project, "--name", "one")
    second = cli.json("create", "--project", project, "--name", "two")
    src = write_tree(tmp_path / "src", {"x.txt": b"x"})
    cli.ok("add", "--files", str(src))
    assert version(api, second["id"])["stats"]["file_count"] == 1
    assert version(api, first["id"])["stats"]["file_count"] == 0
    cli.ok("delete", second["id"])
    one_line_error(cli("upload"), "no current dataset")


# --- bad input: one line, nothing changed ----------------------------------------------


def test_adding_to_a_final_version_is_refused_and_says_what_to_do(
    cli: Cli, api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("ds-cli")
    dataset_id = make_final(cli, tmp_path, project, "frozen", {"a.txt": b"a"})
    more = write_tree(tmp_path / "more", {"b.txt": b"b"})
    for command in (
        ("add", "--id", dataset_id, "--files", str(more)),
        ("remove", "--id", dataset_id, "--files", "a.txt"),
        ("sync", "--id", dataset_id, "--folder", str(more)),
        ("upload", "--id", dataset_id),
        ("close", "--id", dataset_id),
    ):
        one_line_error(cli(*command), "is final", f"corral dataset create --parents {dataset_id}")
    assert index(api, dataset_id) == {"a.txt": index(api, dataset_id)["a.txt"]}


def test_unknown_ids_and_names_are_one_line_errors(cli: Cli) -> None:
    unknown = "0123456789abcdef" * 2
    one_line_error(cli("show", unknown), "no dataset with id", "corral dataset list")
    one_line_error(cli("add", "--id", unknown, "--files", "."), "no dataset with id")
    one_line_error(cli("diff", unknown), "no dataset with id")
    one_line_error(cli("delete", unknown), "no dataset with id")
    one_line_error(cli("show", "not-an-id!"), "not a dataset id")
    one_line_error(cli("get", "--project", f.unique("none"), "--name", "nope"), "no final version")
    one_line_error(cli("create", "--project", "p", "--name", "n", "--parents", unknown), "no")


def test_bad_paths_and_arguments_change_nothing(
    cli: Cli, api: httpx.Client, tmp_path: Path
) -> None:
    made = cli.json("create", "--project", f.unique("ds-cli"), "--name", "bad")
    src = write_tree(tmp_path / "src", {"a.txt": b"a"})
    one_line_error(cli("add", "--files", str(tmp_path / "missing")), "no file or folder")
    one_line_error(cli("add", "--files", str(src), "--dataset-folder", "../up"), "..")
    one_line_error(cli("sync", "--folder", str(tmp_path / "missing")), "no folder")
    one_line_error(cli("remove", "--files", "nothing/*"), "matches")
    one_line_error(cli("upload", "--compression", "zstd"), "none or deflate")
    one_line_error(cli("diff", made["id"], "--change", "renamed"), "added, removed or modified")
    assert version(api, made["id"])["stats"]["file_count"] == 0
    # a draft parent, a draft fetched
    cli.ok("add", "--files", str(src))
    one_line_error(cli("get", made["id"]), "not final", "corral dataset close")
    one_line_error(
        cli("create", "--project", "p", "--name", "child", "--parents", made["id"]), "final"
    )
    # finalizing with files not uploaded
    one_line_error(cli("close", "--no-upload"), "1 file of", "corral dataset upload")
    assert version(api, made["id"])["state"] != "final"


def test_a_file_changed_since_add_stops_close_in_one_line(
    cli: Cli, api: httpx.Client, tmp_path: Path
) -> None:
    src = write_tree(tmp_path / "src", {"a.txt": b"as added"})
    made = cli.json("create", "--project", f.unique("ds-cli"), "--name", "changed")
    cli.ok("add", "--files", str(src))
    (src / "a.txt").write_bytes(b"edited after add")
    result = cli("close")
    one_line_error(result, "a.txt")
    assert version(api, made["id"])["state"] != "final"
    cli.ok("add", "--files", str(src))  # added again: its new content is what is sent
    cli.ok("close")
    got = Path(cli.ok("get", made["id"]).stdout.strip())
    assert (got / "a.txt").read_bytes() == b"edited after add"


# --- list, delete, squash -------------------------------------------------------------


def test_list_filters_by_name_tags_and_state(cli: Cli, tmp_path: Path) -> None:
    project = f.unique("ds-cli")
    final = make_final(cli, tmp_path, project, "images", {"a": b"a"})
    draft = cli.json("create", "--project", project, "--name", "labels", "--tags", "gold")
    ids = lambda *args: [r["id"] for r in cli.json("list", "--project", project, *args)]  # noqa: E731
    assert set(ids()) == {final, draft["id"]}
    assert ids("--only-final") == [final]
    assert ids("--tags", "gold") == [draft["id"]]
    assert ids("--name", "imag") == [final]
    table = cli.ok("list", "--project", project)
    assert "images" in table.stdout and "draft" in table.stdout


def test_delete_a_parent_needs_force_and_squash_merges(
    cli: Cli, api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("ds-cli")
    a = make_final(cli, tmp_path, project, "part", {"x.txt": b"x", "same.txt": b"from a"})
    b = make_final(cli, tmp_path, project, "part", {"y.txt": b"y", "same.txt": b"from b"})
    squashed = cli.json("squash", "--name", "whole", "--ids", a, b, "--project", project)
    assert squashed["state"] == "final" and squashed["stats"]["file_count"] == 3
    got = Path(cli.ok("get", squashed["id"]).stdout.strip())
    assert (got / "same.txt").read_bytes() == b"from b"  # the later id wins

    child = cli.json("create", "--project", project, "--name", "part", "--parents", b)
    one_line_error(cli("delete", b), "--force")
    assert version(api, b)["state"] == "final"
    cli.ok("delete", child["id"])
    deleted = cli.ok("delete", b)
    assert b in deleted.stdout
    assert api.get(f"/datasets/{b}").status_code == 404
    one_line_error(cli("squash", "--name", "n", "--ids", a), "at least two")


# --- progress bars on a terminal ------------------------------------------------------


def on_a_terminal(cli: Cli, *args: str) -> tuple[int, str]:
    """Run ``corral dataset ARGS`` with stderr on a pseudo-terminal; (exit code, what it drew)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORRAL_")}
    env.update(cli.env, CORRAL_CONFIG=str(cli.config), COLUMNS="160", TERM="xterm")
    proc = subprocess.Popen(
        [sys.executable, "-m", "corral", "dataset", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the other side closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    code = proc.wait(timeout=120)
    reader.join(timeout=30)
    os.close(master)
    return code, b"".join(chunks).decode(errors="replace")


def test_transfers_draw_a_progress_bar_on_a_terminal(cli: Cli, tmp_path: Path) -> None:
    files = {f"img/{i}.bin": os.urandom(2000 + i) for i in range(7)}
    src = write_tree(tmp_path / "src", files)
    made = cli.json("create", "--project", f.unique("ds-cli"), "--name", "bars")
    for args in (("add", "--files", str(src)), ("upload",)):
        code, drawn = on_a_terminal(cli, *args)
        assert code == 0, drawn
        assert "7/7 files" in drawn, drawn
    cli.ok("close")
    code, drawn = on_a_terminal(cli, "get", made["id"])
    assert code == 0 and "7/7 files" in drawn, drawn
