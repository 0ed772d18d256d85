from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from corral.sdk.capture.notebook import (
    comment_magics,
    history_code,
    notebook_code,
    notebook_path,
    running_in_notebook,
)

CAPTURE_CELL = """\
import dataclasses, json
from corral.sdk.capture.script import capture_code
from corral.sdk.capture.machine import runtime_facts

info = capture_code()
print(json.dumps({**dataclasses.asdict(info), "ide": runtime_facts()["ide"]}, default=str))
"""


def write_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Training\nA *tiny* model."),
        nbformat.v4.new_code_cell("%matplotlib inline\nimport math\nvalue = math.sqrt(16)"),
        nbformat.v4.new_code_cell("files = !ls\nprint(value)"),
        nbformat.v4.new_code_cell("%%bash\necho hello"),
        nbformat.v4.new_code_cell(CAPTURE_CELL),
    ]
    nbformat.write(nb, str(path))


def execute(path: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run the notebook in a real kernel; the JSON printed by its last cell."""
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=env)
    outputs = nb.cells[-1].outputs
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert text, outputs
    result: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    return result


def test_plain_process_is_not_a_notebook() -> None:
    assert running_in_notebook() is False
    assert notebook_path() is None
    assert history_code() == ""


def test_comment_magics() -> None:
    source = "%load_ext autoreload\n!pip list\nfiles = !ls\nif True:\n    %time f()\nx = 10 % 3"

    assert comment_magics(source) == (
        "# %load_ext autoreload\n# !pip list\n# files = !ls\nif True:\n    # %time f()\nx = 10 % 3"
    )
    assert comment_magics("%%bash\necho hi\n\nls") == "# %%bash\n# echo hi\n#\n# ls"


def test_notebook_code_converts_cells(tmp_path: Path) -> None:
    path = tmp_path / "train.ipynb"
    write_notebook(path)

    code = notebook_code(path)

    assert code.startswith("# %% [markdown]\n# # Training\n# A *tiny* model.\n")
    assert "# %%\n# %matplotlib inline\nimport math\nvalue = math.sqrt(16)\n" in code
    assert "# files = !ls\nprint(value)" in code
    assert "# %%bash\n# echo hello" in code
    assert code.count("# %%\n") == 4
    compile(code, "train.py", "exec")  # valid Python


def test_notebook_code_of_unreadable_file_is_empty(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")

    assert notebook_code(bad) == ""
    assert notebook_code(tmp_path / "missing.ipynb") == ""


@pytest.fixture
def kernel_env(git_env: dict[str, str]) -> dict[str, str]:
    env = dict(git_env)
    env.pop("JPY_SESSION_NAME", None)
    return env


def test_capture_in_a_real_kernel(tmp_path: Path, kernel_env: dict[str, str]) -> None:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    path = folder / "train.ipynb"
    write_notebook(path)

    out = execute(path, {**kernel_env, "JPY_SESSION_NAME": str(path)})

    assert out["notebook_path"] == str(path.resolve())
    assert out["entry_point"] == "train.py"
    assert out["working_dir"] == "."
    assert "value = math.sqrt(16)" in out["code"]
    assert "print(value)" in out["code"]
    assert "# %matplotlib inline" in out["code"]
    assert "capture_code()" in out["code"]
    assert out["ide"] == "jupyter"


def test_notebook_in_a_git_repo(repo: Path, kernel_env: dict[str, str]) -> None:
    folder = repo / "notebooks"
    folder.mkdir()
    path = folder / "explore.ipynb"
    write_notebook(path)

    out = execute(path, {**kernel_env, "JPY_SESSION_NAME": "explore.ipynb"})  # relative

    assert out["entry_point"] == "notebooks/explore.py"
    assert out["working_dir"] == "notebooks"
    assert out["branch"] == "main"
    assert len(out["commit"]) == 40
    assert "value = math.sqrt(16)" in out["code"]


def test_history_fallback_without_a_path(tmp_path: Path, kernel_env: dict[str, str]) -> None:
    folder = tmp_path / "nb"
    folder.mkdir()
    path = folder / "anonymous.ipynb"
    write_notebook(path)

    out = execute(path, kernel_env)

    assert out["notebook_path"] is None
    assert out["entry_point"] == "notebook.py"
    assert "import math\nvalue = math.sqrt(16)" in out["code"]
    assert "print(value)" in out["code"]
    assert "# %matplotlib inline" in out["code"]
    assert "# %%bash" in out["code"]
    assert "capture_code()" in out["code"]
