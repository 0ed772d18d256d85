"""Notebook -> pipeline: a Jupyter notebook whose cells carry tags, as a decorator pipeline script.

:func:`convert_notebook` reads an nbformat-4 notebook and returns a
:class:`NotebookPipeline`: the generated script (``@PipelineDecorator.component`` steps and
one ``@PipelineDecorator.pipeline`` function) and its plan, one :class:`StepPlan` per step.

Cell tags (``metadata.tags``, as JupyterLab's tag editor writes them):

==========================  ===============================================================
``imports``                 repeated at the top of every step (each runs in its own process)
``functions``               defs, classes, imports and constants at module level; each step
                            gets the functions and classes it uses (``helper_functions``), and
                            the constants and imports it uses are repeated in it
``pipeline-parameters``     literal assignments (``n = 100``, ``lr: float = 0.1``): the
                            pipeline function's keyword arguments
``pipeline-metrics``        names, one per line: reported with ``report_single_value``
``step:NAME``               starts a step (``[a-z0-9_-]``; function ``step_NAME``, ``-`` -> ``_``)
``prev:NAME``               an explicit parent, on any cell of the step
``queue:NAME``              the step's execution queue
``limit:gpu:N``             the step's GPU count
``skip``                    the cell is left out, as if it were not there (its tags too)
==========================  ===============================================================

Untagged code cells (and cells with other tags only) join the step before them; markdown and
raw cells are ignored; IPython magics and shell lines become ``# dropped: ...`` comments.

The data a step needs is found by static analysis
(:mod:`corral.pipelines.notebook_analysis`): a name a step reads before binding it comes
from the latest earlier step that binds or modifies it (an input, and that step is a
parent), else from the pipeline parameters; names of the ``imports`` and ``functions`` cells
and builtins are never data. A step returns the names later steps (or the metrics) take from
it. Every mistake is a :class:`~corral.errors.ValidationError` naming the cell (1-based,
every cell counted as Jupyter numbers them), raised before any script exists.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corral.errors import ValidationError
from corral.pipelines.notebook_analysis import (
    Definition,
    StepNames,
    analyse_step,
    definitions_of,
    indent_code,
    resolve,
    stores,
    uses,
)

__all__ = ["NotebookPipeline", "StepPlan", "convert_notebook"]

STEP_NAME = re.compile(r"^[a-z0-9_-]+$")
KINDS = ("imports", "functions", "pipeline-parameters", "pipeline-metrics")
#: module-level names of the generated script, besides the step functions
_RESERVED = frozenset({"PipelineDecorator", "pipeline"})
_LINE = 100


@dataclass
class StepPlan:
    """One step of a converted notebook.

    ``inputs`` maps each name the step takes from an earlier step to that step's name;
    ``parameters`` are the pipeline parameters it reads; ``outputs`` its return values.
    """

    name: str
    #: the generated function: ``step_`` + the name, ``-`` -> ``_``
    function: str
    #: the notebook's cells that make the step (1-based)
    cells: list[int]
    #: the step's cells as they appear in its function, each after a ``# cell N`` line
    source: str
    parents: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)
    parameters: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)
    queue: str | None = None
    limits: dict[str, int] = field(default_factory=dict)
    #: names the step reads that no earlier cell defines (a typo, a later step, IPython's
    #: ``display``): left as they are, they fail when the step runs
    unknown: list[str] = field(default_factory=list)
    #: the step function's arguments (inputs, then parameters)
    arguments: list[str] = field(default_factory=list)
    #: the code before the cells: ``global`` names, the imports cells, the constants and
    #: imports it uses from the functions cells and from earlier steps
    preamble: str = ""


@dataclass
class NotebookPipeline:
    """A converted notebook: the generated ``script`` and the plan it was written from."""

    name: str
    project: str
    script: str
    steps: list[StepPlan]
    parameters: dict[str, Any]
    metrics: list[str]
    #: each parameter's annotation as written (``lr: float = 0.1``), when it has one
    annotations: dict[str, str] = field(default_factory=dict)

    def step(self, name: str) -> StepPlan:
        """The step called ``name`` (as tagged: ``step:NAME``)."""
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)


def convert_notebook(
    source: str | Path | dict[str, Any], *, name: str | None = None, project: str | None = None
) -> NotebookPipeline:
    """The pipeline of a tagged notebook: a path to an ``.ipynb`` file, or its JSON as a dict.

    ``name`` defaults to the file's stem (``"notebook"`` for a dict), ``project`` to
    ``"notebooks"``. Raises :class:`~corral.errors.ValidationError` for a file that is not
    an nbformat-4 notebook and for any tag or cell the conversion cannot take.

    Example::

        plan = convert_notebook("parking.ipynb")
        Path("parking_pipeline.py").write_text(plan.script)
        plan.step("weekdays").inputs    # {'hourly': 'simulate'}
    """
    nb, label, stem = _load(source)
    layout = _Layout(_code_cells(nb))
    parameters, annotations = _parameters(layout.parameter_cells)
    result = NotebookPipeline(
        name=name or stem,
        project=project or "notebooks",
        script="",
        steps=_plan(layout, parameters),
        parameters=parameters,
        metrics=list(dict.fromkeys(m for m, _ in _metric_names(layout.metric_cells))),
        annotations=annotations,
    )
    _check_acyclic(result.steps)
    file = None if isinstance(source, dict) else label
    result.script = _render(result, file, layout)
    try:
        compile(result.script, f"<pipeline from {label}>", "exec")
    except SyntaxError as e:
        raise _error(
            f"the pipeline generated from {label} does not compile (line {e.lineno}: {e.msg}): "
            "a step's cells are the body of a function, so they cannot hold top-level await, "
            "return, yield or nonlocal"
        ) from e
    return result


def _error(message: str, cell: int | None = None, line: int | None = None) -> ValidationError:
    where = f"cell {cell}" + (f" line {line}" if line else "") if cell else ""
    loc: list[str | int] = ["cell", cell] if cell else []
    if cell and line:
        loc += ["line", line]
    text = f"{where}: {message}" if where else message
    return ValidationError(text, errors=[{"loc": loc, "msg": message, "type": "value_error"}])


# --- reading -------------------------------------------------------------------------


def _load(source: str | Path | dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """The notebook's JSON, the label to name it by in messages, and its default name."""
    if not isinstance(source, (str, Path)):  # the JSON, parsed
        nb, label, stem = source, "the notebook", "notebook"
    else:
        path = Path(source)
        label, stem = path.name, path.stem
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise _error(f"cannot read the notebook {path}: {e}") from e
        try:
            nb = json.loads(text)
        except json.JSONDecodeError as e:
            raise _error(
                f"{label} is not a notebook: bad JSON at line {e.lineno} column {e.colno} ({e.msg})"
            ) from e
    if not isinstance(nb, dict) or "nbformat" not in nb:
        raise _error(f"{label} is not a notebook: no nbformat field (an .ipynb file is wanted)")
    version = nb["nbformat"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise _error(f"{label} is not a notebook: nbformat is {version!r}, not a number")
    if version < 4:
        raise _error(
            f"{label} is an nbformat {version} notebook; convert it to version 4 first "
            f"(jupyter nbconvert --to notebook --nbformat 4 {label})"
        )
    if not isinstance(nb.get("cells"), list):
        raise _error(f"{label} is not a notebook: it has no list of cells")
    return nb, label, stem


@dataclass
class _Cell:
    number: int
    source: str
    tree: ast.Module
    tags: list[str]

    @property
    def has_code(self) -> bool:
        return bool(self.tree.body)


def _code_cells(nb: dict[str, Any]) -> list[_Cell]:
    """The code cells not tagged ``skip``, magics dropped, parsed."""
    out = []
    for number, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict):
            raise _error("not a cell: a JSON object with cell_type and source is wanted", number)
        meta = cell.get("metadata") or {}
        tags = meta.get("tags", []) if isinstance(meta, dict) else None
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise _error("metadata.tags must be a list of strings", number)
        tags = [t.strip() for t in tags]
        if cell.get("cell_type") != "code" or "skip" in tags:
            continue
        text = cell.get("source", "")
        if isinstance(text, list) and all(isinstance(t, str) for t in text):
            text = "".join(text)
        if not isinstance(text, str):
            raise _error("source must be a string or a list of strings", number)
        text = drop_magics(text)
        try:
            tree = ast.parse(text)
        except SyntaxError as e:
            shown = f": {e.text.strip()}" if e.text and e.text.strip() else ""
            raise _error(f"syntax error, {e.msg}{shown}", number, e.lineno) from e
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                raise _error(
                    f"`from {node.module} import *` cannot run inside a step function: "
                    "import the names you use",
                    number,
                    node.lineno,
                )
        out.append(_Cell(number, text, tree, tags))
    return out


def drop_magics(text: str) -> str:
    """``text`` with IPython magics and shell lines turned into ``# dropped: ...`` comments.

    A cell magic drops the whole cell, except ``%%time`` and ``%%capture`` (whose body is
    Python). A line keeps its number, so error messages point at the notebook's lines.
    """
    lines = text.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].strip()
        if magic.split()[0] not in ("%%time", "%%capture"):
            return f"# dropped: {magic} cell ({len(lines)} lines)"
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            indent = line[: len(line) - len(stripped)]
            # an indented line is inside a block, which must keep a statement
            out.append(
                f"{indent}pass  # dropped: {stripped}" if indent else f"# dropped: {stripped}"
            )
        else:
            out.append(line)
    return "\n".join(out)


# --- tags ----------------------------------------------------------------------------


@dataclass
class _Step:
    name: str
    function: str
    cells: list[_Cell]
    prev: list[tuple[str, int]] = field(default_factory=list)
    queue: str | None = None
    limits: dict[str, int] = field(default_factory=dict)


class _Layout:
    """The cells sorted by their tags: the special kinds, and the steps in order."""

    def __init__(self, cells: list[_Cell]) -> None:
        self.import_cells: list[_Cell] = []
        self.function_cells: list[_Cell] = []
        self.parameter_cells: list[_Cell] = []
        self.metric_cells: list[_Cell] = []
        self.steps: list[_Step] = []
        by_kind = {
            "imports": self.import_cells,
            "functions": self.function_cells,
            "pipeline-parameters": self.parameter_cells,
            "pipeline-metrics": self.metric_cells,
        }
        for cell in cells:
            kinds = [t for t in cell.tags if t in KINDS]
            starts = [t for t in cell.tags if t.startswith("step:")]
            if len(kinds) + len(starts) > 1:
                raise _error(
                    f"tags {', '.join(kinds + starts)} do not go together: a cell is one of "
                    "imports, functions, pipeline-parameters, pipeline-metrics or a step's cell",
                    cell.number,
                )
            if kinds:
                self._no_step_tags(
                    cell, f"{'an' if kinds[0] == 'imports' else 'a'} {kinds[0]} cell"
                )
                by_kind[kinds[0]].append(cell)
            elif starts:
                self._start(starts[0][len("step:") :], cell)
            elif self.steps:
                self.steps[-1].cells.append(cell)
            elif cell.has_code:
                raise _error("has code but no step: tag it step:NAME or skip", cell.number)
            else:
                self._no_step_tags(cell, "a cell before the first step")
            if self.steps and self.steps[-1].cells[-1] is cell:
                self._step_tags(self.steps[-1], cell)
        if not self.steps:
            raise _error("the notebook has no step: tag the first cell of each step step:NAME")
        self._check_prev()

    def _start(self, name: str, cell: _Cell) -> None:
        if not STEP_NAME.match(name):
            raise _error(
                f"bad step name {name!r} in tag step:{name}: use lower-case letters, digits, "
                "'-' and '_'",
                cell.number,
            )
        function = "step_" + name.replace("-", "_")
        for step in self.steps:
            if step.name == name:
                raise _error(
                    f"step:{name} is used twice (first at cell {step.cells[0].number}): tag only "
                    "the first cell of a step, the cells after it join it",
                    cell.number,
                )
            if step.function == function:
                raise _error(
                    f"steps {step.name} (cell {step.cells[0].number}) and {name} would both be "
                    f"the function {function}: rename one",
                    cell.number,
                )
        self.steps.append(_Step(name, function, [cell]))

    @staticmethod
    def _no_step_tags(cell: _Cell, what: str) -> None:
        for tag in cell.tags:
            if tag.startswith(("prev:", "queue:", "limit:")):
                raise _error(f"{tag} belongs on a step's cell, not on {what}", cell.number)

    @staticmethod
    def _step_tags(step: _Step, cell: _Cell) -> None:
        for tag in cell.tags:
            if tag.startswith("prev:"):
                step.prev.append((tag[len("prev:") :], cell.number))
            elif tag.startswith("queue:"):
                queue = tag[len("queue:") :]
                if not queue or (step.queue and step.queue != queue):
                    why = (
                        "is empty" if not queue else f"but the step already has queue:{step.queue}"
                    )
                    raise _error(f"tag {tag} {why}", cell.number)
                step.queue = queue
            elif tag.startswith("limit:"):
                kind, _, count = tag[len("limit:") :].partition(":")
                if kind != "gpu" or not count.isdigit():
                    raise _error(
                        f"bad tag {tag}: the limit tag is limit:gpu:N (N a whole number)",
                        cell.number,
                    )
                if step.limits.get("gpu", int(count)) != int(count):
                    raise _error(
                        f"tag {tag} but the step already has limit:gpu:{step.limits['gpu']}",
                        cell.number,
                    )
                step.limits["gpu"] = int(count)

    def _check_prev(self) -> None:
        index = {s.name: i for i, s in enumerate(self.steps)}
        for i, step in enumerate(self.steps):
            for name, number in step.prev:
                j = index.get(name)
                if j is None:
                    known = ", ".join(s.name for s in self.steps[:i]) or "none"
                    raise _error(f"prev:{name} names no step (steps before it: {known})", number)
                if j >= i:
                    where = (
                        "itself"
                        if j == i
                        else f"a later step (cell {self.steps[j].cells[0].number})"
                    )
                    raise _error(
                        f"prev:{name} names {where}: a step's parents come before it", number
                    )


# --- parameters, metrics, helpers ----------------------------------------------------

_NOT_PLAIN = object()


def _parameters(cells: list[_Cell]) -> tuple[dict[str, Any], dict[str, str]]:
    """The parameters' defaults and the annotations written with them."""
    values: dict[str, Any] = {}
    annotations: dict[str, str] = {}
    first: dict[str, int] = {}
    for cell in cells:
        for node in cell.tree.body:
            target, value = None, _NOT_PLAIN
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], _literal(node.value)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, _literal(node.value)
            if not isinstance(target, ast.Name) or value is _NOT_PLAIN:
                raise _error(
                    "a pipeline-parameters cell holds only assignments of literals "
                    '(n = 100, lr: float = 0.1, names = ["a", "b"]), '
                    f"not `{_snippet(cell, node)}`",
                    cell.number,
                    node.lineno,
                )
            if target.id in values:
                raise _error(
                    f"parameter {target.id} is set twice (first in cell {first[target.id]})",
                    cell.number,
                    node.lineno,
                )
            values[target.id], first[target.id] = value, cell.number
            if isinstance(node, ast.AnnAssign):
                annotations[target.id] = ast.unparse(node.annotation)
    return values, annotations


def _literal(node: ast.expr) -> Any:
    """The value of a literal made of None, bools, numbers, strings, lists, tuples and dicts
    with string keys (what a parameter can hold and show); ``_NOT_PLAIN`` for anything else."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_PLAIN
    return value if _plain(value) else _NOT_PLAIN


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def _snippet(cell: _Cell, node: ast.stmt) -> str:
    text = (ast.get_source_segment(cell.source, node) or "").strip().splitlines()
    line = text[0] if text else ""
    return line if len(line) <= 60 and len(text) == 1 else line[:57] + "..."


def _metric_names(cells: list[_Cell]) -> list[tuple[str, int]]:
    """Each metric's name and the cell that lists it."""
    out = []
    for cell in cells:
        for node in cell.tree.body:
            value = node.value if isinstance(node, ast.Expr) else None
            elts = value.elts if isinstance(value, ast.Tuple) else [value]
            if value is None or not all(isinstance(e, ast.Name) for e in elts):
                raise _error(
                    "a pipeline-metrics cell lists the names of the metrics, one per line "
                    f"(accuracy), not `{_snippet(cell, node)}`",
                    cell.number,
                    node.lineno,
                )
            out += [(e.id, cell.number) for e in elts if isinstance(e, ast.Name)]
    return out


def _definitions(layout: _Layout) -> tuple[list[Definition], dict[str, int]]:
    """The functions cells' definitions, and the cell of each name they define."""
    out: list[Definition] = []
    cell_of: dict[str, int] = {}
    for cell in layout.function_cells:
        try:
            found = definitions_of(cell.tree, cell.source)
        except ValueError as e:
            line = e.args[0]
            raise _error(
                "a functions cell holds defs, classes, imports and constants "
                f"(NAME = value), not `{cell.source.splitlines()[line - 1].strip()}`; "
                "move it to a step",
                cell.number,
                line,
            ) from e
        out += found
        cell_of.update({n: cell.number for d in found for n in d.names})
    return out, cell_of


# --- planning ------------------------------------------------------------------------


def _plan(layout: _Layout, parameters: dict[str, Any]) -> list[StepPlan]:
    definitions, defined_in = _definitions(layout)
    import_names = {n: c.number for c in layout.import_cells for n in stores(c.tree)}
    non_data = {**import_names, **defined_in}
    sources = [
        "\n\n".join(f"# cell {c.number}\n{c.source.strip()}" for c in step.cells)
        for step in layout.steps
    ]
    names = [analyse_step(ast.parse(text), text) for text in sources]
    _check_names(layout, parameters, non_data, names)
    metric_names = _metric_names(layout.metric_cells)
    data, found = resolve(names, parameters, non_data, [m for m, _ in metric_names])
    for metric, number in metric_names:
        if metric not in found:
            raise _error(f"metric {metric} is not assigned by any step", number)
    plans = []
    imports_code = "\n".join(c.source.strip() for c in layout.import_cells).strip()
    for step, text, used, where in zip(layout.steps, sources, names, data, strict=True):
        needed, helper_reads = uses(used.reads, definitions)
        constants = [d for d in needed if not d.helper]
        shared = {n for d in constants for n in d.names} | set(import_names)
        global_names = sorted(helper_reads & shared)
        preamble = [
            f"global {', '.join(global_names)}  # read by the helper functions, at module level"
            if global_names
            else "",
            imports_code,
            "\n".join([*(d.source for d in constants), *where.imports]),
        ]
        parents = {layout.steps[j].name for j in where.inputs.values()} | {n for n, _ in step.prev}
        plans.append(
            StepPlan(
                name=step.name,
                function=step.function,
                cells=[c.number for c in step.cells],
                source=text,
                parents=[s.name for s in layout.steps if s.name in parents],
                inputs={n: layout.steps[j].name for n, j in where.inputs.items()},
                parameters=where.parameters,
                outputs=where.outputs,
                helpers=[d.names[0] for d in needed if d.helper],
                queue=step.queue,
                limits=step.limits,
                unknown=where.unknown,
                arguments=where.arguments,
                preamble="\n\n".join(p for p in preamble if p),
            )
        )
    return plans


def _check_names(
    layout: _Layout, parameters: dict[str, Any], non_data: dict[str, int], names: list[StepNames]
) -> None:
    """No name of the notebook may stand for a name of the generated script."""
    script = _RESERVED | {s.function for s in layout.steps}
    for n, number in non_data.items():
        if n in script:
            raise _error(f"{n} is a name of the generated script: rename it", number)
    for n in parameters:
        if n in non_data or n in script:
            number = next(c.number for c in layout.parameter_cells if n in stores(c.tree))
            why = f"cell {non_data[n]} defines it too" if n in non_data else "the script uses it"
            raise _error(f"parameter {n}: {why}: rename it", number)
    for step, used in zip(layout.steps, names, strict=True):
        for n, kind in used.bound.items():
            if kind == "data" and n in script and n not in non_data:
                raise _error(
                    f"{n} is a name of the generated script: rename it", step.cells[0].number
                )


def _check_acyclic(steps: list[StepPlan]) -> None:
    """Parents always come first in a notebook, so no cycle can form; this says so, or
    names the cycle should a change ever let one through."""
    parents = {s.name: s.parents for s in steps}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise _error(f"the steps form a cycle: {cycle}")
        if name not in done:
            for parent in parents.get(name, []):
                visit(parent, [*path, name])
            done.add(name)

    for step in steps:
        visit(step.name, [])


# --- the script ----------------------------------------------------------------------


def _call(head: str, args: list[str], prefix: str = "", suffix: str = "") -> str:
    """``head(a, b)`` on one line when it fits, else one argument per line."""
    line = f"{prefix}{head}({', '.join(args)}){suffix}"
    if len(line) <= _LINE or not args:
        return line
    indent = " " * (len(prefix) - len(prefix.lstrip()))
    inner = "".join(f"{indent}    {a},\n" for a in args)
    return f"{prefix}{head}(\n{inner}{indent}){suffix}"


def _doc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _render(result: NotebookPipeline, file: str | None, layout: _Layout) -> str:
    origin = (
        f"`corral pipeline from-notebook {file}`" if file else "`corral pipeline from-notebook`"
    )
    steps = [
        f"    {s.name} (cell{'s' if len(s.cells) > 1 else ''} {', '.join(map(str, s.cells))})"
        + (f" <- {', '.join(s.parents)}" if s.parents else "")
        for s in result.steps
    ]
    doc = "\n".join(
        [
            f'"""Pipeline {result.name}, generated by {origin}.',
            "",
            "Steps (their cells in the notebook) <- the steps they wait for:",
            *steps,
            "",
            "Each step runs in a process of its own: the imports cells are repeated in it, and",
            "what it needs from earlier steps comes in as arguments.",
            '"""',
        ]
    )
    header = [_doc(doc[3:-3]).join(['"""', '"""']), "from corral import PipelineDecorator"]
    functions = [c.source.strip() for c in layout.function_cells if c.source.strip()]
    imports = "\n".join(c.source.strip() for c in layout.import_cells).strip()
    if functions and imports:  # the functions cells run at module level, and may need them
        header.append(f"# the imports cells, for the functions cells below\n{imports}")
    parts = ["\n\n".join(header), *functions]
    parts += [_component(s) for s in result.steps]
    parts.append(_pipeline(result))
    parts.append('if __name__ == "__main__":\n    pipeline()')
    return "\n\n\n".join(parts) + "\n"


def _component(step: StepPlan) -> str:
    options = [
        f"name={json.dumps(step.name)}",
        f"return_values={json.dumps(step.outputs)}",
        "cache=True",
    ]
    # a prev: tag with no data behind it: an edge only the tag makes
    explicit = [p for p in step.parents if p not in step.inputs.values()]
    if explicit:
        options.append(f"parents={json.dumps(explicit)}")
    if step.queue:
        options.append(f"execution_queue={json.dumps(step.queue)}")
    if step.limits:
        options.append(f"limits={json.dumps(step.limits)}")
    if step.helpers:
        options.append(f"helper_functions=[{', '.join(step.helpers)}]")
    body = "\n\n".join(p for p in [step.preamble, step.source] if p)
    if step.outputs:
        body += f"\nreturn {', '.join(step.outputs)}"
    if not ast.parse(body).body:
        body += "\npass"
    return "\n".join(
        [
            _call("@PipelineDecorator.component", options),
            _call(f"def {step.function}", step.arguments, suffix=":"),
            indent_code(body),
        ]
    )


def _pipeline(result: NotebookPipeline) -> str:
    arguments = [
        f"{n}: {result.annotations[n]} = {v!r}" if n in result.annotations else f"{n}={v!r}"
        for n, v in result.parameters.items()
    ]
    options = [
        f"name={json.dumps(result.name)}",
        f"project={json.dumps(result.project)}",
        'version="1.0.0"',
    ]
    body = []
    for step in result.steps:
        target = f"    {', '.join(step.outputs)} = " if step.outputs else "    "
        body.append(_call(step.function, [f"{a}={a}" for a in step.arguments], target))
    if result.metrics:
        taken = {n for s in result.steps for n in s.outputs} | set(result.parameters)
        logger = "logger"
        while logger in taken:
            logger += "_"
        body.append(f"    {logger} = PipelineDecorator.get_logger()")
        body += [
            f"    {logger}.report_single_value({json.dumps(m)}, float({m}))" for m in result.metrics
        ]
    return "\n".join(
        [
            _call("@PipelineDecorator.pipeline", options),
            _call("def pipeline", arguments, suffix=":"),
            *body,
        ]
    )
