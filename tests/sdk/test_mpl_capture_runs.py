"""matplotlib capture in a real script against a real hub: a figure the script reported
itself is not captured a second time by ``plt.show()``/``savefig``; others still are."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests import factories as f
from tests.sdk.conftest import run_script


def test_an_explicitly_reported_figure_is_not_captured_again(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-mpl-dup")!r}, task_name="dup")
    logger = task.get_logger()

    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [3, 1, 2])
    ax.set_title("confusion")
    logger.report_matplotlib_figure("confusion", "val", figure=fig, iteration=3)
    plt.show()                 # shows (and would capture) every open figure
    fig.savefig("again.png")   # unchanged: still the reported figure

    loose = plt.figure()       # never reported: captured once, by show
    loose.gca().bar([1, 2], [3, 4])
    loose.gca().set_title("counts")
    plt.show()
    plt.show()

    ax.plot([0, 1, 2], [0, 0, 1])  # the reported figure changes: now it is new
    fig.savefig("changed.png")
    print("TASK " + task.id)
    """
    out = run_script(code, sdk_env, tmp_path)
    task_id = next(line.split()[1] for line in out.stdout.splitlines() if line.startswith("TASK "))
    plots = f.ok(sdk_api.get(f"/tasks/{task_id}/plots"))
    series = {(s["metric"], s["variant"]): s["iterations"] for s in plots["iterations"]}
    assert series == {
        ("confusion", "val"): [3],  # the explicit report, once
        ("counts", "plot"): [0],  # the unreported figure, once
        ("confusion", "plot"): [0],  # captured only after it changed
    }
    latest = {(p["metric"], p["variant"]): p for p in plots["items"]}
    assert len(latest[("confusion", "plot")]["figure"]["data"]) == 2  # the changed figure
    assert len(latest[("confusion", "val")]["figure"]["data"]) == 1
