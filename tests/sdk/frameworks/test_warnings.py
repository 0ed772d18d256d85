"""A framework's warnings and log records about its caller name the user's line, not ours.

The patched call's wrapper and the import hook's loader stand between the user's code
and the framework: ``stacklevel=2`` (or matplotlib's ``warn_external``) would name them.
Their frames are hidden from ``stacklevel``, as CPython hides its import machinery.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests import factories as f
from tests.sdk.conftest import run_script
from tests.sdk.frameworks.conftest import run_python, write_package

STANDIN_JOBLIB = """
import logging, warnings
warnings.warn("joblib is imported", DeprecationWarning, stacklevel=2)

def dump(value, filename):
    warnings.warn("dump is deprecated", FutureWarning, stacklevel=2)
    logging.getLogger("joblib").warning("dumping for my caller", stacklevel=2)
    with open(filename, "w") as out:
        out.write(repr(value))
    return [filename]
"""


def _line_of(script: Path, marker: str) -> int:
    """The number of the first line of ``script`` that contains ``marker``."""
    lines = script.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if marker in line)


def test_warnings_and_log_records_through_a_patched_call_name_the_users_line(
    tmp_path: Path,
) -> None:
    standins = write_package(tmp_path / "standins", {"joblib/__init__.py": STANDIN_JOBLIB})
    result = run_python(
        f"""
        import logging, warnings
        records = []
        class Keep(logging.Handler):
            def emit(self, record):
                records.append([record.pathname, record.lineno])
        logging.getLogger("joblib").addHandler(Keep())
        install(sink)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import joblib  # the import
            joblib.dump(1, {str(tmp_path / "model.pkl")!r})  # the dump
        result["warnings"] = [[str(w.message), w.filename, w.lineno] for w in caught]
        result["records"] = records
        """,
        tmp_path,
        first_on_path=standins,
    )
    script = tmp_path / "script.py"
    imported, dumped = _line_of(script, "# the import"), _line_of(script, "# the dump")
    assert result["warnings"] == [
        ["joblib is imported", str(script), imported],
        ["dump is deprecated", str(script), dumped],
    ]
    assert result["records"] == [[str(script), dumped]]
    assert ["register_output_model", str(tmp_path / "model.pkl"), "joblib", "model"] in (
        result["calls"]
    )


def test_matplotlib_show_warning_in_a_run_names_the_users_line(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import warnings
    import matplotlib
    matplotlib.use("Agg")
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-fw-warn")!r}, task_name="warnings")
    import matplotlib.pyplot as plt
    plt.plot([0, 1, 2], [3, 1, 2])
    plt.title("curve")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plt.show()  # Agg cannot show, and says so when a display is set
    for w in caught:
        print("WARNING", w.filename, w.lineno, w.message)
    print("TASK " + task.id)
    """
    out = run_script(code, {**sdk_env, "DISPLAY": ":99"}, tmp_path)

    script = tmp_path / "script.py"
    warned = [x.split(" ", 3)[1:] for x in out.stdout.splitlines() if x.startswith("WARNING ")]
    assert [w[:2] for w in warned] == [[str(script), str(_line_of(script, "plt.show()"))]]
    assert "non-interactive" in warned[0][2]
    task_id = next(x.split()[1] for x in out.stdout.splitlines() if x.startswith("TASK "))
    plots = f.ok(sdk_api.get(f"/tasks/{task_id}/plots"))["items"]
    assert [(p["metric"], p["variant"]) for p in plots] == [("curve", "plot")]
