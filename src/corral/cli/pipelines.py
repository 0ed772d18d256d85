"""``corral pipeline ...``: pipelines from the shell.

``from-notebook`` turns a notebook whose cells carry tags (``step:NAME``, ``prev:NAME``,
``imports``, ``functions``, ``pipeline-parameters``, ``pipeline-metrics``, ``skip``,
``queue:NAME``, ``limit:gpu:N``) into a decorator pipeline script, writes it next to the
notebook (or to ``--output``), and with ``--run`` runs it: ``--locally`` runs the
controller and its steps on this machine, ``--queue Q`` sends the steps to Q's agents
(the controller runs here). The script becomes the controller task's code.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from corral.cli.client import fail
from corral.cli.output import err, out, print_json
from corral.errors import CorralError

pipeline_app = typer.Typer(
    help="Pipelines: DAGs of tasks and functions. Example: corral pipeline from-notebook "
    "train.ipynb --run --locally",
    no_args_is_help=True,
)


def _param(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise fail(f"--param {text!r}: write NAME=VALUE (e.g. --param days=21)")
    try:
        value: Any = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw  # plain text
    return name.strip(), value


def with_parameters(script: str, known: dict[str, Any], edits: list[str]) -> str:
    """The script with its ``pipeline()`` call given the edited parameters."""
    values: dict[str, Any] = {}
    for text in edits:
        name, value = _param(text)
        if name not in known:
            names = ", ".join(known) or "none"
            raise fail(f"--param {name}: the notebook has no such parameter (it has: {names})")
        values[name] = value
    if not values:
        return script
    call = "pipeline(" + ", ".join(f"{k}={v!r}" for k, v in values.items()) + ")"
    head, sep, tail = script.rpartition("    pipeline()\n")
    if not sep:
        raise fail("the generated script has no pipeline() call to give parameters to")
    return head + f"    {call}\n" + tail


@pipeline_app.command("from-notebook")
def from_notebook(
    notebook: Annotated[Path, typer.Argument(help="The .ipynb file (cells tagged step:NAME...).")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write the script (default: NOTEBOOK.py)."),
    ] = None,
    run: Annotated[bool, typer.Option("--run", help="Run the pipeline once written.")] = False,
    locally: Annotated[
        bool, typer.Option("--locally", help="With --run: the steps run here, as subprocesses.")
    ] = False,
    queue: Annotated[
        str | None,
        typer.Option("--queue", "-q", help="With --run: the queue of the steps (agents run them)."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Change a parameter for this script: NAME=VALUE (repeat)."),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="The pipeline's name (default: the file's).")
    ] = None,
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Its project (default: notebooks).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Turn a tagged notebook into a pipeline script; with --run, run it."""
    from corral.pipelines.notebook import convert_notebook

    if run and not locally and not queue:
        raise fail("--run needs --locally (steps here) or --queue QUEUE (steps on agents)")
    try:
        plan = convert_notebook(notebook, name=name, project=project)
    except CorralError as e:
        raise fail(f"{notebook}: {e}") from e
    script = with_parameters(plan.script, plan.parameters, list(param or []))
    target = output or notebook.with_suffix(".py")
    target.write_text(script)
    for step in plan.steps:
        if step.unknown:
            err.print(
                f"[yellow]warning:[/] step {escape(step.name)} uses "
                f"{escape(', '.join(step.unknown))}, which no cell before it defines",
                highlight=False,
            )
    if as_json:
        print_json({
            "script": str(target),
            "name": plan.name,
            "project": plan.project,
            "parameters": plan.parameters,
            "metrics": plan.metrics,
            "steps": [{"name": s.name, "parents": s.parents, "inputs": s.inputs,
                       "outputs": s.outputs, "queue": s.queue, "limits": s.limits}
                      for s in plan.steps],
        })  # fmt: skip
    else:
        out.print(f"wrote {escape(str(target))}: {len(plan.steps)} steps", highlight=False)
        for s in plan.steps:
            parents = f" <- {', '.join(s.parents)}" if s.parents else ""
            out.print(f"  {escape(s.name)}{escape(parents)}", highlight=False)
    if not run:
        return
    env = dict(os.environ)
    if locally:
        env["CORRAL_PIPELINE_LOCAL"] = "1"
    if queue:
        env["CORRAL_PIPELINE_QUEUE"] = queue
    code = subprocess.call([sys.executable, str(target)], env=env, cwd=target.parent)
    if code != 0:
        raise fail(f"the pipeline ended with exit code {code}; see its output above")
