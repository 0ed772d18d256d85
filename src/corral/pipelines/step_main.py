"""What runs inside a function step's process (under an agent or as a local subprocess).

The step task holds the function's plain arguments in its ``kwargs`` parameter section
and, in ``kwargs_artifacts``, the arguments that are other steps' return values as
``TASK_ID.ARTIFACT``. Those are loaded here, in the user's own process (a pickle is
only ever unpickled by the user's steps, never by the hub); the function's return
values become artifacts of the step named as ``returns`` lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

#: the parameter section of a function step's plain arguments
KWARGS = "kwargs"
#: the section of the arguments that are artifacts of other steps (``TASK_ID.NAME``)
KWARGS_ARTIFACTS = "kwargs_artifacts"


def load_artifact(ref: str) -> Any:
    """The object of artifact ``TASK_ID.NAME``."""
    from corral.sdk.task import Task

    task_id, _, name = ref.partition(".")
    return Task.get_task(task_id=task_id).artifacts[name].get()


def run_function_step(fn: Callable[..., Any], returns: Sequence[str] = ()) -> Any:
    """Call ``fn`` with the step's arguments; store its return values as artifacts."""
    from corral.sdk.task import Task

    task = Task.init()
    sections = task.get_parameters_as_dict()
    kwargs: dict[str, Any] = dict(sections.get(KWARGS) or {})
    for name, ref in (sections.get(KWARGS_ARTIFACTS) or {}).items():
        kwargs[name] = load_artifact(str(ref))
    result = fn(**kwargs)
    if returns:
        values = [result] if len(returns) == 1 else list(result)
        if len(values) != len(returns):
            raise ValueError(
                f"{fn.__name__} returned {len(values)} values for the {len(returns)} "
                f"return names {list(returns)}"
            )
        for name, value in zip(returns, values, strict=True):
            task.upload_artifact(name, value, wait_on_upload=True)
    task.flush(wait_for_uploads=True)
    return result
