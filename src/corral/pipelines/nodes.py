"""A pipeline's step (:class:`Node`) and how it becomes a step task on the hub.

A task step clones its base task; a function step is a new task whose script is the
function made standalone (``function_code``). Either way the step task is a child of
the controller (``parent_id``), carries the step's name in its ``runtime``
(``pipeline_step``), and - with caching on - its cache key, both as the parameter
``Pipeline/cache_key`` (to find it) and in ``runtime`` (which a clone of the step does
not copy, so an edited clone is never taken for a cached result).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from corral.client.http import HubClient
from corral.core import pipelines as P
from corral.errors import CorralError, NotFoundError, ValidationError
from corral.pipelines import function_code

#: node states; ``cached`` and ``completed`` count as success, ``skipped``: a parent failed
PENDING, RUNNING, COMPLETED, CACHED, FAILED, ABORTED, SKIPPED = (
    "pending", "running", "completed", "cached", "failed", "aborted", "skipped",
)  # fmt: skip
DONE = frozenset({COMPLETED, CACHED, FAILED, ABORTED, SKIPPED})
#: the parameter section the cache key is stored in (and found by)
CACHE_SECTION = "Pipeline"


@dataclass
class Node:
    """One step, as ``get_pipeline_dag()`` returns it (ClearML's ``Node`` fields)."""

    name: str
    base_task_id: str | None = None
    parents: list[str] = field(default_factory=list)
    queue: str | None = None
    timeout: float | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    configurations: dict[str, Any] = field(default_factory=dict)
    task_overrides: dict[str, Any] = field(default_factory=dict)
    continue_on_fail: bool = False
    cache_executed_step: bool = False
    #: retries of this step (None: the pipeline's retry_on_failure)
    retries: int | Callable[..., bool] | None = None
    pre_execute_callback: Callable[..., Any] | None = None
    post_execute_callback: Callable[..., Any] | None = None
    # function steps
    function: Callable[..., Any] | None = None
    function_kwargs: dict[str, Any] = field(default_factory=dict)
    function_return: list[str] = field(default_factory=list)
    helper_functions: list[Callable[..., Any]] = field(default_factory=list)
    packages: list[str] | None = None
    docker: str | None = None
    #: resources the step asks for (``{"gpu": 1}``), recorded on its task
    limits: dict[str, int] = field(default_factory=dict)
    #: a function step's task: its name, type and project (default: the step's name,
    #: ``data_processing``, the controller's project)
    task_name: str | None = None
    task_type: str | None = None
    project: str | None = None
    # the run
    #: the id of the step's task (None until it is launched)
    executed: str | None = None
    status: str = PENDING
    #: the task whose results a cached step reuses
    cached_from: str | None = None
    attempts: int = 0
    started: float | None = None
    ended: float | None = None
    retry_at: float = 0.0
    reason: str = ""
    #: a local subprocess running the step (``run_pipeline_steps_locally``)
    process: Any = None

    @property
    def is_function(self) -> bool:
        return self.function is not None

    @property
    def succeeded(self) -> bool:
        return self.status in (COMPLETED, CACHED)

    def describe(self) -> dict[str, Any]:
        """What the controller stores for the DAG view."""
        return {
            "name": self.name,
            "parents": self.parents,
            "kind": "function" if self.is_function else "task",
            "queue": self.queue,
            "status": self.status,
            "task_id": self.executed,
            "cached_from": self.cached_from,
            "attempts": self.attempts,
            "started": self.started,
            "ended": self.ended,
            "reason": self.reason,
            "limits": self.limits,
        }


def references(node: Node) -> list[P.Ref]:
    """Every reference of the node's overrides and arguments."""
    return P.refs_in([node.parameters, node.configurations, node.task_overrides,
                      node.function_kwargs])  # fmt: skip


def check_references(nodes: Mapping[str, Node], parameters: Mapping[str, Any]) -> None:
    """Each reference names a known parameter, or a step that is an ancestor... or at
    least a step (a reference to a step adds it as a parent)."""
    for node in nodes.values():
        for ref in references(node):
            if ref.step == P.PIPELINE:
                if ref.path[0] not in parameters:
                    raise ValidationError(
                        f"step {node.name!r} refers to {ref.text}: the pipeline has no "
                        f"parameter {ref.path[0]!r} (add_parameter first)"
                    )
                continue
            other = nodes.get(ref.step)
            if other is None:
                raise ValidationError(
                    f"step {node.name!r} refers to {ref.text}: there is no step {ref.step!r}"
                )
            if ref.step == node.name:
                raise ValidationError(f"step {node.name!r} refers to itself in {ref.text}")
            field_ = ref.path[0]
            if other.is_function and field_ not in ("id", "parameters", "artifacts", "models"):
                if field_ not in other.function_return:
                    raise ValidationError(
                        f"step {node.name!r} refers to {ref.text}: step {ref.step!r} returns "
                        f"{other.function_return or 'nothing'}"
                    )
            elif field_ not in ("id", "parameters", "artifacts", "models"):
                raise ValidationError(
                    f"step {node.name!r} refers to {ref.text}: a task step has id, "
                    "parameters.SECTION/NAME, artifacts.NAME.url and models.output.N.id"
                )
            if ref.step not in node.parents:
                node.parents.append(ref.step)


# --- building a step's task ------------------------------------------------------------


def hyperparams(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A parameter section of plain values, each with its type's name."""
    return {str(k): {"value": v, "type": type(v).__name__} for k, v in values.items()}


def function_task_body(node: Node, controller: Mapping[str, Any]) -> dict[str, Any]:
    """The create body of a function step's task (before its arguments are resolved)."""
    assert node.function is not None
    script = function_code.step_script(
        node.function, node.helper_functions, returns=node.function_return, step=node.name
    )
    requirements = "\n".join(node.packages or [])
    return {
        "name": node.task_name or node.name,
        **({"project": node.project} if node.project else {"project_id": controller["project_id"]}),
        "type": node.task_type or "data_processing",
        "parent_id": controller["id"],
        "script": {
            "code": script,
            "entry_point": f"{node.name}.py",
            "requirements": {"pip": requirements} if requirements else {},
            "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        },
        "container": {"image": node.docker} if node.docker else {},
    }


def _set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    here = target
    for key in keys[:-1]:
        here = here.setdefault(key, {})
    here[keys[-1]] = value


def apply_overrides(
    task: Mapping[str, Any],
    parameters: Mapping[str, Any],
    configurations: Mapping[str, Any],
    task_overrides: Mapping[str, Any],
) -> dict[str, Any]:
    """The PATCH body for a cloned step: its parameters (``SECTION/NAME``; a bare name
    goes to ``Args``), configurations (by name) and task fields (dotted) overridden."""
    hyper: dict[str, dict[str, Any]] = {
        s: dict(v) for s, v in (task.get("hyperparams") or {}).items()
    }
    for key, value in parameters.items():
        section, _, name = str(key).rpartition("/")
        section = section or "Args"
        hyper.setdefault(section, {})[name] = {"value": value, "type": type(value).__name__}
    body: dict[str, Any] = {"hyperparams": hyper}
    if configurations:
        config = dict(task.get("configuration") or {})
        for name, value in configurations.items():
            text = value if isinstance(value, str) else _json(value)
            config[name] = {"value": text, "type": "text" if isinstance(value, str) else "json"}
        body["configuration"] = config
    for dotted, value in task_overrides.items():
        _set_path(body, str(dotted), value)
    return body


def _json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, sort_keys=True, default=str)


def resolve(
    client: HubClient, nodes: Mapping[str, Node], pipeline: Mapping[str, Any], ref: P.Ref
) -> Any:
    """The value of one reference (the step it names has run)."""
    if ref.step == P.PIPELINE:
        return pipeline[ref.path[0]]
    node = nodes[ref.step]
    task_id = node.executed if node.status != CACHED else node.cached_from
    if not task_id:
        raise ValidationError(f"{ref.text}: step {ref.step!r} has not run")
    head, rest = ref.path[0], ref.path[1:]
    if head == "id":
        return task_id
    task: dict[str, Any] = dict(client.tasks.get(task_id))
    if head == "parameters":
        section, _, name = "/".join(rest).partition("/")
        try:
            return task["hyperparams"][section][name]["value"]
        except KeyError as e:
            raise NotFoundError(f"{ref.text}: step {ref.step!r} has no parameter "
                                f"{section}/{name}") from e  # fmt: skip
    if head == "artifacts":
        name = rest[0] if rest else ""
        found = [a for a in client.get(f"tasks/{task_id}/artifacts") if a["name"] == name]
        if not found:
            raise NotFoundError(f"{ref.text}: step {ref.step!r} has no artifact {name!r}")
        return found[0]["uri"] if rest[1:] in ((), ("url",)) else found[0].get(rest[1])
    if head == "models":
        kind = rest[0] if rest else "output"
        models = (task.get("models") or {}).get(kind) or []
        try:
            entry = models[int(rest[1]) if len(rest) > 1 else -1]
        except (IndexError, ValueError) as e:
            raise NotFoundError(f"{ref.text}: step {ref.step!r} has no such model") from e
        return entry.get("model_id") or entry.get("id") if isinstance(entry, dict) else entry
    # a function step's return value: the artifact of that name, loaded by the child
    return f"{task_id}.{head}"


def wait_artifact_hashes(
    client: HubClient, task_id: str, names: Sequence[str], timeout: float = 60.0
) -> dict[str, str]:
    """The content hashes of artifacts ``names`` of a finished task."""
    deadline = time.monotonic() + timeout
    while True:
        arts = {a["name"]: a for a in client.get(f"tasks/{task_id}/artifacts")}
        missing = [n for n in names if n not in arts]
        if missing:
            raise NotFoundError(
                f"task {task_id} has no artifact {missing[0]!r}: did the step return it?"
            )
        hashes = {n: arts[n].get("hash") or "" for n in names}
        if all(hashes.values()) or time.monotonic() > deadline:
            return {n: h or arts[n]["uri"] for n, h in hashes.items()}
        time.sleep(0.2)


def describe_error(e: BaseException) -> str:
    return str(getattr(e, "detail", None) or e) if isinstance(e, CorralError) else repr(e)
