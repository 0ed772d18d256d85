"""Notebook -> pipeline: the plan (steps, data, parents), the generated script, bad input.

The generated scripts run for real, against a stand-in ``corral`` module whose
``PipelineDecorator`` records its calls and runs each step as the runtime would: alone
(its globals hold nothing but its helper functions), on copies of its arguments.
"""

from __future__ import annotations

import builtins
import copy
import doctest
import json
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from corral.errors import ValidationError
from corral.pipelines import notebook_analysis
from corral.pipelines.notebook import (
    NotebookPipeline,
    StepPlan,
    _check_acyclic,
    convert_notebook,
    drop_magics,
)
from tests.pipelines.notebooks import cell, make_notebook, markdown, notebook

FIXTURES = Path(__file__).parent / "fixtures"
PARKING = FIXTURES / "parking.ipynb"


def convert(*cells: dict[str, Any]) -> NotebookPipeline:
    return convert_notebook(notebook(*cells))


def graph(result: NotebookPipeline) -> dict[str, tuple[list[str], dict[str, str], list[str]]]:
    """Each step's parents, inputs and outputs."""
    return {s.name: (s.parents, s.inputs, s.outputs) for s in result.steps}


# --- running the generated script ----------------------------------------------------


class Run:
    """What the stand-in ``PipelineDecorator`` saw."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}
        self.pipelines: list[dict[str, Any]] = []
        self.calls: list[tuple[str, list[str]]] = []
        self.metrics: dict[str, Any] = {}

    def module(self) -> types.ModuleType:
        run = self

        class Logger:
            def report_single_value(self, name: str, value: Any) -> None:
                run.metrics[name] = value

        class PipelineDecorator:
            @staticmethod
            def component(**options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
                def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
                    run.components[fn.__name__] = options
                    alone = standalone(fn, options.get("helper_functions") or [])

                    def call(**kwargs: Any) -> Any:
                        run.calls.append((fn.__name__, sorted(kwargs)))
                        return copy.deepcopy(alone(**copy.deepcopy(kwargs)))

                    return call

                return wrap

            @staticmethod
            def pipeline(**options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
                run.pipelines.append(options)
                return lambda fn: fn

            @staticmethod
            def get_logger() -> Logger:
                return Logger()

        fake = types.ModuleType("corral")
        fake.PipelineDecorator = PipelineDecorator  # type: ignore[attr-defined]
        return fake


def standalone(fn: Callable[..., Any], helpers: list[Callable[..., Any]]) -> Callable[..., Any]:
    """``fn`` as it runs in a step's own process: its module holds its helpers, nothing else
    (a helper class is taken as it is: its methods keep the generated module)."""
    space: dict[str, Any] = {"__builtins__": builtins, "__name__": "__main__"}
    for h in helpers:
        space[h.__name__] = (
            types.FunctionType(h.__code__, space, h.__name__, h.__defaults__)
            if isinstance(h, types.FunctionType)
            else h
        )
    return types.FunctionType(fn.__code__, space, fn.__name__, fn.__defaults__)


def run_script(
    script: str, monkeypatch: pytest.MonkeyPatch, main: bool = False, **params: Any
) -> Run:
    """Run the generated ``script``'s pipeline (as ``__main__`` when ``main``)."""
    run = Run()
    monkeypatch.setitem(sys.modules, "corral", run.module())
    space: dict[str, Any] = {"__name__": "__main__" if main else "generated"}
    exec(compile(script, "<generated pipeline>", "exec"), space)
    if not main:
        space["pipeline"](**params)
    return run


def run_notebook(nb: dict[str, Any], **params: Any) -> dict[str, Any]:
    """The notebook run top to bottom as Jupyter would (skip cells left out, magics dropped),
    with ``params`` set after the parameters cell: the reference the pipeline must match."""
    space: dict[str, Any] = {"__name__": "__main__"}
    for c in nb["cells"]:
        tags = c["metadata"].get("tags", [])
        if c["cell_type"] == "code" and "skip" not in tags:
            exec(drop_magics("".join(c["source"])), space)
            if "pipeline-parameters" in tags:
                space.update(params)
    return space


# --- the fixture, end to end ---------------------------------------------------------


def test_parking_plan_has_a_fan_out_and_a_fan_in() -> None:
    result = convert_notebook(PARKING)
    assert (result.name, result.project) == ("parking", "notebooks")
    assert result.parameters == {"days": 14, "mean_arrivals": 9.5}
    assert result.annotations == {"mean_arrivals": "float"}
    assert result.metrics == ["peak_rate"]
    assert graph(result) == {
        "simulate": ([], {}, ["hourly"]),
        "weekdays": (["simulate"], {"hourly": "simulate"}, ["weekday_cars"]),
        "weekends": (["simulate"], {"hourly": "simulate"}, ["weekend_cars"]),
        # prev:simulate is an explicit parent on top of the two the data makes
        "report": (
            ["simulate", "weekdays", "weekends"],
            {"weekday_cars": "weekdays", "weekend_cars": "weekends"},
            ["peak_rate"],
        ),
    }
    simulate, weekdays, _, report = result.steps
    assert result.step("weekdays") is weekdays
    assert simulate.cells == [6, 7]  # the untagged cell 7 joins; cell 8 is skipped
    assert simulate.parameters == ["mean_arrivals", "days"]
    assert weekdays.parameters == ["days"]
    assert (weekdays.helpers, report.helpers) == (["occupancy"], ["peak_rate_of"])
    assert all(s.unknown == [] and s.queue is None and s.limits == {} for s in result.steps)


def test_parking_script_reads_like_the_notebook() -> None:
    script = convert_notebook(PARKING).script
    assert script.startswith(
        '"""Pipeline parking, generated by `corral pipeline from-notebook parking.ipynb`.'
    )
    assert "    weekends (cell 10) <- simulate\n" in script
    assert "from corral import PipelineDecorator\n" in script
    assert "def pipeline(days=14, mean_arrivals: float = 9.5):\n" in script
    assert "    hourly = step_simulate(mean_arrivals=mean_arrivals, days=days)\n" in script
    assert '    logger.report_single_value("peak_rate", float(peak_rate))\n' in script
    assert "    # dropped: %matplotlib inline\n" in script
    assert "    # dropped: !echo report done\n" in script
    assert "plt.plot" not in script and "Parking occupancy" not in script  # skip, markdown
    assert script.count("    import numpy as np\n") == 4  # in every step
    # the helpers run at module level in a step's process: what they read is made global there
    assert "    global CAPACITY, np  # read by the helper functions, at module level\n" in script
    assert "execution_queue" not in script and "limits" not in script
    assert script.endswith('if __name__ == "__main__":\n    pipeline()\n')
    compile(script, "parking_pipeline.py", "exec")


def test_parking_pipeline_reports_what_the_notebook_computes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = run_notebook(json.loads(PARKING.read_text()))["peak_rate"]
    run = run_script(convert_notebook(PARKING).script, monkeypatch, main=True)
    assert run.metrics == {"peak_rate": pytest.approx(expected)}
    assert isinstance(run.metrics["peak_rate"], float)
    assert run.pipelines == [{"name": "parking", "project": "notebooks", "version": "1.0.0"}]
    assert run.calls == [
        ("step_simulate", ["days", "mean_arrivals"]),
        ("step_weekdays", ["days", "hourly"]),
        ("step_weekends", ["days", "hourly"]),
        ("step_report", ["weekday_cars", "weekend_cars"]),
    ]
    report = run.components["step_report"]
    assert report["return_values"] == ["peak_rate"] and report["cache"] is True
    assert [f.__name__ for f in report["helper_functions"]] == ["peak_rate_of"]
    assert "helper_functions" not in run.components["step_simulate"]
    # named as in the notebook; prev:simulate, which no data makes, is an explicit parent
    assert report["name"] == "report" and report["parents"] == ["simulate"]
    assert "parents" not in run.components["step_weekdays"]


def test_parking_pipeline_takes_edited_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    nb = json.loads(PARKING.read_text())
    expected = run_notebook(nb, days=21, mean_arrivals=12.0)["peak_rate"]
    assert expected != run_notebook(nb)["peak_rate"]
    run = run_script(convert_notebook(PARKING).script, monkeypatch, days=21, mean_arrivals=12.0)
    assert run.metrics == {"peak_rate": pytest.approx(expected)}


def test_name_and_project_default_to_the_file_and_notebooks(tmp_path: Path) -> None:
    path = tmp_path / "weekly report.ipynb"
    path.write_text(PARKING.read_text())
    assert convert_notebook(str(path)).name == "weekly report"
    result = convert_notebook(path, name='say "hi"', project="ops")
    assert (result.name, result.project) == ('say "hi"', "ops")
    assert '@PipelineDecorator.pipeline(name="say \\"hi\\"", project="ops"' in result.script
    assert convert_notebook(json.loads(PARKING.read_text())).name == "notebook"


def test_a_50_cell_notebook_converts_and_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    nb = make_notebook(50)
    assert len(nb["cells"]) == 50
    result = convert_notebook(nb)  # how fast: benchmarks/pipeline.py
    assert len(result.steps) == 10 and result.metrics == ["last"]
    assert result.steps[5].parents == ["s3", "s4"]
    run = run_script(result.script, monkeypatch)
    assert run.metrics == {"last": pytest.approx(run_notebook(nb)["last"])}


# --- tags ----------------------------------------------------------------------------


def test_untagged_cells_and_cells_with_other_tags_join_the_step_before() -> None:
    result = convert(
        markdown("# Title"),
        cell("a = 1", "step:one"),
        cell("b = a + 1"),
        cell("c = b + 1", "todo", "parameters"),
        cell("d = c", "step:two"),
    )
    one, two = result.steps
    assert (one.cells, two.cells) == ([2, 3, 4], [5])
    assert one.source == "# cell 2\na = 1\n\n# cell 3\nb = a + 1\n\n# cell 4\nc = b + 1"
    assert two.inputs == {"c": "one"}


def test_empty_cells_and_markdown_before_the_first_step_are_fine() -> None:
    result = convert(
        markdown("# x"),
        cell(""),
        cell("# a comment\n%load_ext autoreload"),
        cell("a = 1", "step:a"),
    )
    assert [s.cells for s in result.steps] == [[4]]


def test_a_step_name_becomes_an_identifier() -> None:
    result = convert(cell("x = 1", "step:load-data_2"))
    assert result.steps[0].function == "step_load_data_2"
    assert "def step_load_data_2():\n" in result.script


def test_prev_adds_a_parent_that_passes_no_data() -> None:
    result = convert(cell("a = 1", "step:a"), cell("b = 2", "step:b", "prev:a"))
    assert graph(result)["b"] == (["a"], {}, [])
    assert "    b = step_b()\n" not in result.script and "    step_b()\n" in result.script


def test_queue_and_gpu_limit_tags_set_the_component_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = convert(
        cell("a = 1", "step:a"),
        cell("b = a", "step:b", "queue:gpu"),
        cell("c = b", "limit:gpu:2"),  # a step's tags may be on any of its cells
    )
    a, b = result.steps
    assert (a.queue, a.limits, b.queue, b.limits) == (None, {}, "gpu", {"gpu": 2})
    assert 'execution_queue="gpu"' in result.script and 'limits={"gpu": 2}' in result.script
    run = run_script(result.script, monkeypatch)
    assert run.components["step_b"]["execution_queue"] == "gpu"
    assert run.components["step_b"]["limits"] == {"gpu": 2}
    assert run.components["step_a"] == {"name": "a", "return_values": ["a"], "cache": True}


def test_a_skipped_cell_is_gone_with_its_tags() -> None:
    result = convert(
        cell("a = 1", "step:a"),
        cell("this is not python", "skip", "step:b"),
        cell("b = a"),
    )
    assert [(s.name, s.cells) for s in result.steps] == [("a", [1, 3])]


def test_magics_and_shell_lines_are_dropped_with_a_comment() -> None:
    text = "%time x = 1\nif True:\n    !ls\ny = 2"
    assert drop_magics(text) == "# dropped: %time x = 1\nif True:\n    pass  # dropped: !ls\ny = 2"
    assert drop_magics("%%bash\necho hi\nls") == "# dropped: %%bash cell (3 lines)"
    assert drop_magics("%%time\nz = 3") == "# dropped: %%time\nz = 3"
    result = convert(cell("%%bash\nrm -rf /", "step:a"), cell("%%capture\nb = 2", "step:b"))
    assert result.steps[1].outputs == [] and "    b = 2\n" in result.script


def test_imports_are_repeated_in_every_step_and_are_not_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = convert(
        cell("import math\nfrom os import path as p", "imports"),
        cell("r = math.pi", "step:a"),
        cell("s = p.join('a', 'b')\nq = r", "step:b"),
    )
    assert graph(result)["b"] == (["a"], {"r": "a"}, [])
    assert result.script.count("    import math\n    from os import path as p\n") == 2
    assert "import math" not in result.script.split("@PipelineDecorator")[0]  # no functions cells
    run_script(result.script, monkeypatch)


def test_an_import_in_a_step_is_repeated_in_the_later_steps_that_use_it() -> None:
    result = convert(cell("import json as j\na = 1", "step:a"), cell("b = j.dumps(a)", "step:b"))
    b = result.steps[1]
    assert (b.inputs, b.preamble) == ({"a": "a"}, "import json as j")


def test_helpers_go_to_the_steps_that_use_them_with_what_they_need(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = convert(
        cell("import math", "imports"),
        cell(
            "SCALE = 3\nOFFSET = SCALE + 1\nUNUSED = 0\n\n"
            "def inner(x):\n    return x * SCALE\n\n"
            "def outer(x):\n    return inner(x) + math.floor(0.5)\n\n"
            "class Box:\n    def __init__(self, v):\n        self.v = v\n\n"
            "def alone():\n    return 1",
            "functions",
        ),
        cell("a = outer(2)", "step:a"),
        cell("b = Box(OFFSET).v + a", "step:b"),
        cell("c = b", "step:c"),
    )
    a, b, c = result.steps
    assert (a.helpers, b.helpers, c.helpers) == (["inner", "outer"], ["Box"], [])
    # a helper reads module globals: in the step's own process they come from the step
    assert a.preamble == (
        "global SCALE, math  # read by the helper functions, at module level\n\n"
        "import math\n\nSCALE = 3"
    )
    assert b.preamble == "import math\n\nSCALE = 3\nOFFSET = SCALE + 1"
    assert "helper_functions=[inner, outer]" in result.script
    run = run_script(result.script, monkeypatch)
    assert [f.__name__ for f in run.components["step_a"]["helper_functions"]] == ["inner", "outer"]


def test_parameters_keep_their_types_and_reach_the_steps_that_read_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = convert(
        cell(
            'n = 3\nlr: float = 0.5\nname = "a"\nsizes = [1, 2]\n'
            'opts = {"deep": True, "k": None}\nshift = -1',
            "pipeline-parameters",
        ),
        cell("total = sum(sizes) * n + shift", "step:a"),
        cell("label = f\"{name}-{lr}-{opts['deep']}-{total}\"", "step:b"),
    )
    assert result.parameters == {
        "n": 3, "lr": 0.5, "name": "a", "sizes": [1, 2], "opts": {"deep": True, "k": None}, "shift": -1,
    }  # fmt: skip
    assert "def pipeline(\n    n=3,\n    lr: float = 0.5,\n" in result.script
    assert [s.parameters for s in result.steps] == [["sizes", "n", "shift"], ["name", "lr", "opts"]]


def test_metrics_come_from_the_last_step_that_binds_them(monkeypatch: pytest.MonkeyPatch) -> None:
    result = convert(
        cell("acc = 0.5\nloss = 2", "step:a"),
        cell("acc = acc + 0.25", "step:b"),
        cell("acc, loss", "pipeline-metrics"),
    )
    assert graph(result) == {"a": ([], {}, ["acc", "loss"]), "b": (["a"], {"acc": "a"}, ["acc"])}
    run = run_script(result.script, monkeypatch)
    assert run.metrics == {"acc": 0.75, "loss": 2.0}


def test_the_logger_takes_a_free_name() -> None:
    result = convert(
        cell("logger = 1\nm = 2", "step:a"),
        cell("n = logger", "step:b"),
        cell("m", "pipeline-metrics"),
    )
    assert "    logger_ = PipelineDecorator.get_logger()\n" in result.script


# --- data passing --------------------------------------------------------------------


def test_a_read_takes_the_latest_earlier_binding() -> None:
    result = convert(
        cell("x = 1", "step:a"),
        cell("x = 2", "step:b"),
        cell("y = x", "step:c"),
        cell("z = 5", "step:d"),
    )
    assert graph(result) == {
        "a": ([], {}, []),
        "b": ([], {}, ["x"]),
        "c": (["b"], {"x": "b"}, []),
        "d": ([], {}, []),
    }


def test_augmented_assignment_reads_and_rebinds(monkeypatch: pytest.MonkeyPatch) -> None:
    result = convert(
        cell("x = 1", "step:a"),
        cell("x += 1", "step:b"),
        cell("y = x * 10", "step:c"),
        cell("y", "pipeline-metrics"),
    )
    assert graph(result)["b"] == (["a"], {"x": "a"}, ["x"])
    assert graph(result)["c"] == (["b"], {"x": "b"}, ["y"])
    assert run_script(result.script, monkeypatch).metrics == {"y": 20.0}


def test_names_bound_before_they_are_read_are_not_inputs() -> None:
    result = convert(
        cell("i = 9\nx = 1\nrows = [1]\nf = open\nv = 0", "step:a"),
        cell(
            "for i in range(3):\n    v = i\n    print(v)\n"  # v is bound before it is read in the loop
            "with open('notes.txt') as f:\n    pass\n"
            "squares = [x * x for x in range(4)]\n"
            "(n := 3)\nm = n\n"
            "p, (q, *rest) = 1, (2, 3)\nr = p + q",
            "step:b",
        ),
    )
    assert result.steps[1].inputs == {}
    assert result.steps[1].unknown == []


def test_a_read_before_the_binding_in_the_same_step_is_an_input() -> None:
    result = convert(cell("x = 1", "step:a"), cell("y = x\nx = 2", "step:b"))
    assert result.steps[1].inputs == {"x": "a"}


def test_a_binding_that_may_not_run_passes_the_earlier_value_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = convert(
        cell("flag = False", "pipeline-parameters"),
        cell("x = 1\ny = 1", "step:a"),
        cell("if flag:\n    x = 2\nfor _ in []:\n    y = 3\nz = x", "step:b"),
        cell("w = x + y", "step:c"),
        cell("w", "pipeline-metrics"),
    )
    assert graph(result)["b"] == (["a"], {"x": "a", "y": "a"}, ["x", "y"])
    assert graph(result)["c"] == (["b"], {"x": "b", "y": "b"}, ["w"])
    assert run_script(result.script, monkeypatch).metrics == {"w": 2.0}
    assert run_script(result.script, monkeypatch, flag=True).metrics == {"w": 3.0}


def test_item_and_attribute_assignment_modify_what_they_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = convert(
        cell("d = {'a': 1}\nclass NS: pass\nns = NS()", "step:load"),
        cell("d['b'] = 2\nns.v = 1", "step:edit"),
        cell("n = len(d) + ns.v", "step:count"),
        cell("n", "pipeline-metrics"),
    )
    assert graph(result)["edit"] == (["load"], {"d": "load", "ns": "load"}, ["d", "ns"])
    assert graph(result)["count"] == (["edit"], {"d": "edit", "ns": "edit"}, ["n"])
    assert run_script(result.script, monkeypatch).metrics == {"n": 3.0}


def test_a_method_called_for_its_effect_modifies_the_object(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = convert(
        cell("rows = [3, 1]", "step:load"),
        cell("rows.append(2)\nrows.sort()", "step:fit"),
        cell("first = rows.copy()[0]\nsize = len(rows)", "step:use"),  # read for a result
        cell("last = rows[-1]", "step:end"),
        cell("size", "pipeline-metrics"),
    )
    assert graph(result)["fit"] == (["load"], {"rows": "load"}, ["rows"])
    assert graph(result)["use"] == (["fit"], {"rows": "fit"}, ["size"])
    assert graph(result)["end"] == (["fit"], {"rows": "fit"}, [])  # `use` changed nothing
    assert run_script(result.script, monkeypatch).metrics == {"size": 3.0}


def test_functions_and_classes_defined_in_a_step_are_its_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = convert(
        cell("k = 2", "step:a"),
        cell("def times(x):\n    return x * k\n\nclass P:\n    base = 1", "step:b"),
        cell("out = times(3) + P.base", "step:c"),
        cell("out", "pipeline-metrics"),
    )
    assert graph(result)["b"] == (["a"], {"k": "a"}, ["times", "P"])
    assert graph(result)["c"] == (["b"], {"times": "b", "P": "b"}, ["out"])
    assert run_script(result.script, monkeypatch).metrics == {"out": 7.0}


def test_a_deleted_name_is_no_longer_there() -> None:
    result = convert(
        cell("x = 1\ny = 2", "step:a"), cell("del x", "step:b"), cell("z = x + y", "step:c")
    )
    assert graph(result)["b"] == (["a"], {"x": "a"}, [])
    assert graph(result)["c"] == (["a"], {"y": "a"}, [])
    assert result.steps[2].unknown == ["x"]


def test_builtins_are_not_data_unless_a_step_rebinds_them() -> None:
    result = convert(cell("sum = 5\nxs = [1]", "step:a"), cell("t = sum + len(xs)", "step:b"))
    assert result.steps[1].inputs == {"sum": "a", "xs": "a"}
    assert result.steps[1].unknown == []


def test_names_nothing_defines_are_listed_as_unknown() -> None:
    result = convert(cell("display(x)", "step:a"), cell("x = 1", "step:b"))
    assert result.steps[0].unknown == ["display", "x"] and result.steps[0].inputs == {}


def test_a_step_with_no_code_still_compiles() -> None:
    result = convert(cell("a = 1", "step:a"), cell("# nothing yet", "step:b", "prev:a"))
    assert "def step_b():\n    # cell 2\n    # nothing yet\n    pass\n" in result.script


def test_multi_line_strings_keep_their_text(monkeypatch: pytest.MonkeyPatch) -> None:
    result = convert(
        cell('text = """a\n  b\nc"""\nn = len(text)', "step:a"), cell("n", "pipeline-metrics")
    )
    assert '    text = """a\n  b\nc"""\n' in result.script
    assert run_script(result.script, monkeypatch).metrics == {"n": 7.0}


# --- bad input -----------------------------------------------------------------------


def invalid(source: Any) -> str:
    with pytest.raises(ValidationError) as e:
        convert_notebook(source)
    return str(e.value)


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_text('{"cells": [')
    assert invalid(path).startswith("bad.ipynb is not a notebook: bad JSON at line 1 column")
    assert "cannot read the notebook" in invalid(tmp_path / "missing.ipynb")


@pytest.mark.parametrize(
    ("nb", "says"),
    [
        ([1, 2], "not a notebook: no nbformat field"),
        ({"cells": []}, "not a notebook: no nbformat field"),
        ({"nbformat": "4", "cells": []}, "nbformat is '4', not a number"),
        ({"nbformat": 4, "cells": {}}, "it has no list of cells"),
        ({"nbformat": 3, "worksheets": []}, "is an nbformat 3 notebook; convert it to version 4"),
        ({"nbformat": 4, "cells": ["x"]}, "cell 1: not a cell"),
        ({"nbformat": 4, "cells": [{"cell_type": "code", "metadata": {"tags": "step:a"}, "source": ""}]}, "cell 1: metadata.tags must be a list of strings"),
        ({"nbformat": 4, "cells": [{"cell_type": "code", "metadata": {}, "source": 5}]}, "cell 1: source must be"),
        (notebook(markdown("# hi")), "the notebook has no step"),
    ],
)  # fmt: skip
def test_what_is_not_a_notebook_is_refused(nb: Any, says: str) -> None:
    assert says in invalid(nb)


@pytest.mark.parametrize(
    ("cells", "says"),
    [
        (
            [markdown("# x"), cell("x = 1")],
            "cell 2: has code but no step: tag it step:NAME or skip",
        ),
        (
            [cell("a = 1", "step:a"), cell("b = 1", "step:b", "prev:nope")],
            "cell 2: prev:nope names no step (steps before it: a)",
        ),
        (
            [cell("a = 1", "step:a", "prev:b"), cell("b = 1", "step:b")],
            "cell 1: prev:b names a later step (cell 2): a step's parents come before it",
        ),
        (
            [cell("a = 1", "step:a"), cell("b = 1", "prev:a")],
            "cell 2: prev:a names itself",
        ),
        (
            [cell("a = 1", "step:a"), markdown("x"), cell("b = 1", "step:a")],
            "cell 3: step:a is used twice (first at cell 1)",
        ),
        (
            [cell("a = 1", "step:Load Data")],
            "cell 1: bad step name 'Load Data' in tag step:Load Data: use lower-case letters",
        ),
        (
            [cell("a = 1", "step:")],
            "cell 1: bad step name ''",
        ),
        (
            [cell("a = 1", "step:a-b"), cell("b = 1", "step:a_b")],
            "cell 2: steps a-b (cell 1) and a_b would both be the function step_a_b",
        ),
        (
            [cell("n = 1\nm = len('x')", "pipeline-parameters"), cell("a = 1", "step:a")],
            "cell 1 line 2: a pipeline-parameters cell holds only assignments of literals",
        ),
        (
            [cell("a, b = 1, 2", "pipeline-parameters"), cell("a = 1", "step:a")],
            "not `a, b = 1, 2`",
        ),
        (
            [cell("n = 1", "pipeline-parameters"), cell("n = 2", "pipeline-parameters"), cell("a = 1", "step:a")],
            "cell 2 line 1: parameter n is set twice (first in cell 1)",
        ),
        (
            [cell("a = 1", "step:a"), cell("b = 1\nif b\n    pass")],
            "cell 2 line 2: syntax error, expected ':': if b",
        ),
        (
            [cell("a = 1", "step:a"), cell("acc", "pipeline-metrics")],
            "cell 2: metric acc is not assigned by any step",
        ),
        (
            [cell("n = 1", "pipeline-parameters"), cell("a = n", "step:a"), cell("n", "pipeline-metrics")],
            "cell 3: metric n is not assigned by any step",
        ),
        (
            [cell("a = 1", "step:a"), cell("print(a)", "pipeline-metrics")],
            "cell 2 line 1: a pipeline-metrics cell lists the names of the metrics",
        ),
        (
            [cell("import os", "imports", "step:a")],
            "cell 1: tags imports, step:a do not go together",
        ),
        (
            [cell("import os", "imports", "prev:a"), cell("a = 1", "step:a")],
            "cell 1: prev:a belongs on a step's cell, not on an imports cell",
        ),
        (
            [cell("a = 1", "step:a", "limit:cpu:2")],
            "cell 1: bad tag limit:cpu:2: the limit tag is limit:gpu:N",
        ),
        (
            [cell("a = 1", "step:a", "queue:cpu"), cell("b = 1", "queue:gpu")],
            "cell 2: tag queue:gpu but the step already has queue:cpu",
        ),
        (
            [cell("from math import *", "imports"), cell("a = 1", "step:a")],
            "cell 1 line 1: `from math import *` cannot run inside a step function",
        ),
        (
            [cell("print('hi')", "functions"), cell("a = 1", "step:a")],
            "cell 1 line 1: a functions cell holds defs, classes, imports and constants",
        ),
        (
            [cell("def pipeline():\n    pass", "functions"), cell("a = 1", "step:a")],
            "cell 1: pipeline is a name of the generated script: rename it",
        ),
        (
            [cell("step_b = 1", "step:a"), cell("c = step_b", "step:b")],
            "cell 1: step_b is a name of the generated script",
        ),
        (
            [cell("import math", "imports"), cell("n = 1", "pipeline-parameters"), cell("math = 1", "pipeline-parameters"), cell("a = 1", "step:a")],
            "cell 3: parameter math: cell 1 defines it too",
        ),
        (
            [cell("a = 1", "step:a"), cell("await a")],  # IPython's top-level await
            "does not compile (line",
        ),
    ],
)  # fmt: skip
def test_bad_cells_and_tags_name_the_cell(cells: list[dict[str, Any]], says: str) -> None:
    message = invalid(notebook(*cells))
    assert says in message, message


def test_a_validation_error_carries_the_cell_and_line() -> None:
    with pytest.raises(ValidationError) as e:
        convert(cell("a = 1", "step:a"), cell("x = (", "step:b"))
    assert e.value.errors[0]["loc"] == ["cell", 2, "line", 1]


def test_a_cycle_is_named_should_one_ever_get_through() -> None:
    steps = [
        StepPlan(name="a", function="step_a", cells=[1], source="", parents=["c"]),
        StepPlan(name="b", function="step_b", cells=[2], source="", parents=["a"]),
        StepPlan(name="c", function="step_c", cells=[3], source="", parents=["b"]),
    ]
    with pytest.raises(ValidationError, match=r"the steps form a cycle: a -> c -> b -> a"):
        _check_acyclic(steps)
    _check_acyclic(convert_notebook(PARKING).steps)


def test_the_analysis_docstring_examples_hold() -> None:
    result = doctest.testmod(notebook_analysis, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
