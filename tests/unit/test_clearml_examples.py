"""scripts/clearml-examples: the import rewrite, the checkout copy, the verdicts, and one
whole run against a hub of its own over a made-up checkout (our own scripts at the paths
of ClearML's examples: one right, one wrong, one crashing, one absent)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "clearml-examples"


def _load() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("clearml_examples", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up
    loader.exec_module(module)
    return module


ce = _load()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("from clearml import Task\n", "from corral import Task\n"),
        (
            "from clearml import Task, Logger  # clearml\n",
            "from corral import Task, Logger  # clearml\n",
        ),
        (
            "from clearml import (\n    Task,\n    Logger,\n)\n",
            "from corral import (\n    Task,\n    Logger,\n)\n",
        ),
        (
            "from clearml.task_parameters import TaskParameters, param\n",
            "from corral.task_parameters import TaskParameters, param\n",
        ),
        ("def f():\n    from clearml import Task\n", "def f():\n    from corral import Task\n"),
        ("import clearml\n", "import corral as clearml\n"),
        ("import clearml as cm\n", "import corral as cm\n"),
        ("import os, clearml\n", "import os, corral as clearml\n"),
        ("import clearml.utilities\n", "import corral.utilities, corral as clearml\n"),
        # not imports of clearml: left alone
        ("import clearml_agent\n", "import clearml_agent\n"),
        ("from clearml_agent import x\n", "from clearml_agent import x\n"),
        ("print('from clearml import Task')\n", "print('from clearml import Task')\n"),
        ("task = clearml.Task.init()\n", "task = clearml.Task.init()\n"),
    ],
)
def test_only_the_imports_change(before: str, after: str) -> None:
    assert ce.rewrite_imports(before) == after


def test_first_error_line_is_the_exception_of_the_last_traceback() -> None:
    stderr = textwrap.dedent(
        """\
        warning: something
        Traceback (most recent call last):
          File "a.py", line 1, in <module>
            raise KeyError("x")
        KeyError: 'x'

        During handling of the above exception, another exception occurred:

        Traceback (most recent call last):
          File "a.py", line 3, in <module>
            t.report_surface()
        AttributeError: 'Logger' object has no attribute 'report_surface'
        corral: task 3f2a was sent
        """
    )
    assert ce.first_error_line(stderr) == "corral: task 3f2a was sent"
    assert (
        ce.first_error_line(stderr.rsplit("corral:", 1)[0])
        == "AttributeError: 'Logger' object has no attribute 'report_surface'"
    )
    assert (
        ce.first_error_line("Error: Missing option '--name'.\n")
        == "Error: Missing option '--name'."
    )
    assert ce.first_error_line("") == ""


@pytest.mark.parametrize(
    ("actual", "expected", "same"),
    [
        (3, 3, True),
        ("3", 3, True),  # ClearML keeps strings; the typed value counts too
        (True, "True", True),
        (0.95, 0.95, True),
        ("['dataset.user=corral']", "*dataset.user=corral*", True),
        ("anything", ce.ANY, True),
        (None, ce.ANY, True),
        (2, 3, False),
        ("a string", "my string", False),
    ],
)
def test_value_matches(actual: object, expected: object, same: bool) -> None:
    assert ce.value_matches(actual, expected) is same


def test_select_adds_what_an_example_reads_and_keeps_table_order() -> None:
    paths = [e.path for e in ce.select(ce.EXAMPLES, ["programmatic_orchestration"])]
    assert paths == ["automation/toy_base_task.py", "automation/programmatic_orchestration.py"]
    assert len(ce.select(ce.EXAMPLES, [])) == len(ce.EXAMPLES)
    assert ce.select(ce.EXAMPLES, ["no-such-example"]) == []


def test_the_table_is_well_formed() -> None:
    paths = [e.path for e in ce.EXAMPLES]
    assert len(paths) == len(set(paths))
    for example in ce.EXAMPLES:
        assert example.tasks or example.stdout, example.path
        assert all(dep in paths[: paths.index(example.path)] for dep in example.after)


def _checkout(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "examples" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _bare_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    work = _checkout(tmp_path / "work", files)
    _git("init", "-q", cwd=work)
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", "examples", cwd=work)
    _git("clone", "-q", "--bare", str(work), str(tmp_path / "bare.git"), cwd=tmp_path)
    return tmp_path / "bare.git"


def test_copy_examples_from_a_work_tree_and_from_a_bare_repo(tmp_path: Path) -> None:
    files = {
        "reporting/a.py": "from clearml import Task\nprint('clearml')\n",
        "reporting/d.txt": "x",
    }
    work = _checkout(tmp_path / "tree", files)
    bare = _bare_repo(tmp_path / "git", files)
    for source, dest in ((work, tmp_path / "c1"), (bare, tmp_path / "c2")):
        examples = ce.copy_examples(source, dest)
        assert (
            examples / "reporting" / "a.py"
        ).read_text() == "from corral import Task\nprint('clearml')\n"
        assert (examples / "reporting" / "d.txt").read_text() == "x"
    with pytest.raises(ValueError, match="CLEARML_SRC"):
        ce.copy_examples(tmp_path / "nothing", tmp_path / "c3")


def test_a_whole_run_judges_each_example_on_the_hub(tmp_path: Path) -> None:
    # our own scripts at the paths the table knows: right, wrong, crashing; config_files absent
    files = {
        "reporting/scalar_reporting.py": """\
            from clearml import Task
            task = Task.init(project_name="examples", task_name="Scalar reporting")
            logger = task.get_logger()
            for i in range(3):
                for title, series in [("unified graph", "series A"), ("unified graph", "series B"),
                                      ("graph A", "series A"), ("graph B", "series B")]:
                    logger.report_scalar(title, series, value=i, iteration=i)
            logger.report_single_value("metric A", 1)
            logger.report_single_value("metric B", 2)
        """,
        "automation/toy_base_task.py": """\
            from clearml import Task
            task = Task.init("examples", "Toy Base Task")
            task.connect({"Example_Param": 2})
        """,
        "reporting/3d_plots_reporting.py": """\
            from clearml import Task
            task = Task.init(project_name="examples", task_name="3D plot reporting")
            raise RuntimeError("made to crash")
        """,
    }
    bare = _bare_repo(tmp_path, files)
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            str(bare),
            "--only",
            "scalar_reporting,toy_base_task,3d_plots,config_files",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    verdicts = {ln.split()[1].rstrip(":"): ln for ln in lines[:-1]}
    assert len(verdicts) == 4, proc.stdout
    assert verdicts["reporting/scalar_reporting.py"].startswith("ok ")
    assert verdicts["reporting/3d_plots_reporting.py"].startswith("crashed ")
    assert "RuntimeError: made to crash" in verdicts["reporting/3d_plots_reporting.py"]
    assert verdicts["automation/toy_base_task.py"].startswith("wrong ")
    assert "'General/Example_Param' is 2, expected 1" in verdicts["automation/toy_base_task.py"]
    assert verdicts["reporting/config_files.py"].startswith("skipped ")
    assert json.loads(lines[-1]) == {"ok": 1, "wrong": 1, "crashed": 1, "skipped": 1, "total": 4}


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # a zombie waiting for its reaper is dead already


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_a_hanging_example_is_a_crash_and_its_children_end_with_it(tmp_path: Path) -> None:
    script = tmp_path / "examples" / "x" / "hang.py"
    script.parent.mkdir(parents=True)
    pid_file = tmp_path / "child.pid"
    script.write_text(
        textwrap.dedent(
            f"""\
            import subprocess, sys, time
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            open({str(pid_file)!r}, "w").write(str(child.pid))
            time.sleep(600)
            """
        )
    )
    runner = ce.Runner(tmp_path / "examples", dict(os.environ), view=None, python=sys.executable)
    result = runner.run(ce.Example("x/hang.py", stdout=("never",), timeout=3))
    assert (result.outcome, result.detail) == ("crashed", "no exit within 3 s")
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 30
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child)
