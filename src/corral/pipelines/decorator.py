"""``PipelineDecorator``: pipelines written as plain Python (ClearML's decorators).

Example::

    from corral import PipelineDecorator

    @PipelineDecorator.component(return_values=["data"], cache=True)
    def load(rows):
        return list(range(rows))

    @PipelineDecorator.component(return_values=["total"])
    def add(a, b):
        return sum(a) + sum(b)

    @PipelineDecorator.pipeline(name="sums", project="examples", version="1.0.0")
    def run(rows=10):
        parts = [load(rows=rows + k) for k in range(3)]      # fan-out
        total = add(a=parts[0], b=parts[1])                  # an edge
        if float(total) > 50:                                # reading a value waits
            print("big")

    if __name__ == "__main__":
        PipelineDecorator.run_locally()
        run()

Calling a component inside a pipeline function adds a step and returns a
:class:`StepFuture` at once (one per return value); passing a future to another
component makes an edge, so independent components run in parallel; reading a
future's value (``result()``, ``float()``, ``if``, indexing...) waits for its step.
Outside a pipeline, a component is the plain function. Components are found when
called, not when imported, so the module that defines them does not matter.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from corral.errors import ValidationError
from corral.pipelines import nodes as N
from corral.pipelines.nodes import Node

_active: _Run | None = None
_active_lock = threading.Lock()


class StepFuture:
    """A component's return value: its step runs meanwhile; using the value waits."""

    def __init__(self, run: _Run, step: str, name: str) -> None:
        self._run = run
        self.step = step
        self.name = name
        self._value: Any = None
        self._loaded = False

    def result(self, timeout: float | None = None) -> Any:
        """The value (waits for the step; raises if it failed or was skipped)."""
        if not self._loaded:
            node = self._run.wait_for(self.step, timeout)
            from corral.pipelines.step_main import load_artifact

            self._value = load_artifact(f"{node.cached_from or node.executed}.{self.name}")
            self._loaded = True
        return self._value

    def __repr__(self) -> str:
        return f"<StepFuture {self.step}.{self.name}>"

    def __float__(self) -> float:
        return float(self.result())

    def __int__(self) -> int:
        return int(self.result())

    def __bool__(self) -> bool:
        return bool(self.result())

    def __str__(self) -> str:
        return str(self.result())

    def __len__(self) -> int:
        return len(self.result())

    def __iter__(self) -> Any:
        return iter(self.result())

    def __getitem__(self, key: Any) -> Any:
        return self.result()[key]

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        return getattr(self.result(), attr)


def _binary(op: str) -> Callable[..., Any]:
    def method(self: StepFuture, other: Any) -> Any:
        other = other.result() if isinstance(other, StepFuture) else other
        return getattr(self.result(), op)(other)

    method.__name__ = op
    return method


for _op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__add__",
            "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
            "__rtruediv__", "__floordiv__", "__mod__", "__contains__"):  # fmt: skip
    setattr(StepFuture, _op, _binary(_op))
StepFuture.__hash__ = object.__hash__  # type: ignore[method-assign]


class _Run:
    """One call of a pipeline function: its controller and the names it gave steps."""

    def __init__(self, controller: Any, runner: Any) -> None:
        self.controller = controller
        self.runner = runner
        self.counts: dict[str, int] = {}

    def step_name(self, base: str) -> str:
        n = self.counts.get(base, 0)
        self.counts[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def wait_for(self, step: str, timeout: float | None) -> Node:
        deadline = None if timeout is None else time.monotonic() + timeout

        def ended() -> bool:
            return (
                self.runner.nodes[step].status in N.DONE
                or self.runner.stopping.is_set()
                or not self.controller.running
            )

        with self.runner.changed:
            # woken by every change; a second's timeout also notices a loop that died
            while not ended() and (deadline is None or time.monotonic() < deadline):
                self.runner.changed.wait(1.0)
        node: Node = self.runner.nodes[step]
        if not node.succeeded:
            raise RuntimeError(
                f"step {step!r} did not succeed ({node.status}"
                f"{': ' + node.reason if node.reason else ''}); its value is not there"
            )
        return node


class Component:
    """A function that becomes a pipeline step when a pipeline function calls it."""

    def __init__(self, fn: Callable[..., Any], options: dict[str, Any]) -> None:
        self.fn = fn
        self.options = options
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        run = _active
        if run is None or PipelineDecorator._debug:
            return self.fn(*args, **kwargs)
        bound = inspect.signature(self.fn).bind(*args, **kwargs)
        o = self.options
        step = run.step_name(o["name"] or self.fn.__name__)
        parents = list(o["parents"] or [])
        spec: dict[str, Any] = {}
        for key, value in bound.arguments.items():
            if isinstance(value, StepFuture):
                spec[key] = f"${{{value.step}.{value.name}}}"
                parents.append(value.step)
                continue
            inner = _futures_in(value)
            parents += [f.step for f in inner]  # waited for here: still edges of the DAG
            value = _materialize(value)
            try:
                json.dumps(value)
            except (TypeError, ValueError) as e:
                raise ValidationError(
                    f"argument {key!r} of component {self.fn.__name__!r} is a "
                    f"{type(value).__name__}: pass plain values (numbers, text, lists, dicts) "
                    "or what another component returned"
                ) from e
            spec[key] = value
        returns = list(o["return_values"] or [])
        node = Node(
            name=step,
            parents=list(dict.fromkeys(parents)),
            queue=o["execution_queue"],
            continue_on_fail=o["continue_on_fail"],
            cache_executed_step=o["cache"],
            retries=o["retry_on_failure"],
            function=self.fn,
            function_kwargs=spec,
            function_return=returns,
            helper_functions=list(o["helper_functions"] or []),
            packages=list(o["packages"]) if o["packages"] else None,
            docker=o["docker"],
            limits=dict(o["limits"] or {}),
        )
        run.runner.add(node)
        futures = [StepFuture(run, step, r) for r in returns]
        if not futures:
            return None
        return futures[0] if len(futures) == 1 else tuple(futures)


def _futures_in(value: Any) -> list[StepFuture]:
    if isinstance(value, StepFuture):
        return [value]
    if isinstance(value, (list, tuple)):
        return [f for v in value for f in _futures_in(v)]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _futures_in(v)]
    return []


def _materialize(value: Any) -> Any:
    """``value`` with the futures inside lists, tuples and dicts replaced by their values."""
    if isinstance(value, StepFuture):
        return value.result()
    if isinstance(value, (list, tuple)):
        return type(value)(_materialize(v) for v in value)
    if isinstance(value, dict):
        return {k: _materialize(v) for k, v in value.items()}
    return value


class PipelineDecorator:
    """ClearML's decorator API: ``component``, ``pipeline``, ``run_locally``."""

    _run_locally = False
    _debug = False
    _default_queue: str | None = None

    @classmethod
    def component(
        cls,
        _func: Callable[..., Any] | None = None,
        *,
        return_values: Sequence[str] | None = ("return_object",),
        name: str | None = None,
        cache: bool = False,
        packages: Sequence[str] | None = None,
        parents: Sequence[str] | None = None,
        execution_queue: str | None = None,
        continue_on_fail: bool = False,
        docker: str | None = None,
        helper_functions: Sequence[Callable[..., Any]] | None = None,
        retry_on_failure: int | Callable[..., bool] | None = None,
        limits: dict[str, int] | None = None,
        **_more: Any,
    ) -> Any:
        """Make a function a pipeline component (a step each time a pipeline calls it).

        ``limits`` (``{"gpu": 1}``) is recorded on the step task for the agent that
        runs it; other ClearML options (``task_type``, ``repo``...) are accepted.
        """
        returns = list(return_values or [])
        options: dict[str, Any] = {
            "return_values": returns,
            "name": name,
            "cache": cache,
            "packages": packages,
            "parents": parents,
            "execution_queue": execution_queue,
            "continue_on_fail": continue_on_fail,
            "docker": docker,
            "helper_functions": helper_functions,
            "retry_on_failure": retry_on_failure,
            "limits": limits,
        }

        def wrap(fn: Callable[..., Any]) -> Component:
            from corral.pipelines.function_code import step_script

            # fails now on a lambda, a closure or a missing name
            step_script(fn, list(helper_functions or []), returns=returns,
                        step=name or fn.__name__)  # fmt: skip
            return Component(fn, options)

        return wrap(_func) if _func is not None else wrap

    @classmethod
    def pipeline(
        cls,
        _func: Callable[..., Any] | None = None,
        *,
        name: str,
        project: str,
        version: str | None = None,
        default_queue: str | None = None,
        pipeline_execution_queue: str | None = "services",
        add_pipeline_tags: bool = False,
        abort_on_failure: bool = False,
        retry_on_failure: int | Callable[..., bool] | None = None,
        force_rerun: bool = False,
        cache_ttl: float | None = None,
        **_more: Any,
    ) -> Any:
        """Make a function a pipeline: its keyword arguments are the pipeline's parameters.

        Called, it creates the controller task and - unless ``run_locally()`` was
        called, or it runs under an agent - sends it to ``pipeline_execution_queue``
        and ends this process; the agent runs the function, whose component calls
        become steps on their queues (``default_queue`` when they name none).
        """

        def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(fn)
            def run_pipeline(*args: Any, **kwargs: Any) -> Any:
                if cls._debug:
                    return fn(*args, **kwargs)
                return cls._run(fn, args, kwargs, dict(
                    name=name, project=project, version=version,
                    add_pipeline_tags=add_pipeline_tags, abort_on_failure=abort_on_failure,
                    retry_on_failure=retry_on_failure, force_rerun=force_rerun,
                    cache_ttl=cache_ttl,
                ), default_queue, pipeline_execution_queue)  # fmt: skip

            return run_pipeline

        return wrap(_func) if _func is not None else wrap

    @classmethod
    def _run(
        cls,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        options: dict[str, Any],
        default_queue: str | None,
        controller_queue: str | None,
    ) -> Any:
        global _active
        from corral.pipelines.controller import PipelineController

        local = cls._run_locally or os.environ.get("CORRAL_PIPELINE_LOCAL") == "1"
        queue = cls._default_queue or os.environ.get("CORRAL_PIPELINE_QUEUE") or default_queue
        signature = inspect.signature(fn)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        parameters = dict(bound.arguments)
        pipe = PipelineController(**options)
        for key, value in parameters.items():
            pipe.add_parameter(key, value)
        # the controller runs here: locally, under the agent that runs it, or when the
        # CLI named the steps' queue; else it goes to its own queue (and this process ends)
        here = (
            local
            or os.environ.get("CORRAL_TASK_ID") == pipe.id
            or bool(os.environ.get("CORRAL_PIPELINE_QUEUE"))
            or not controller_queue
        )
        if not here:
            pipe._publish_definition()
            pipe.task.execute_remotely(queue_name=controller_queue, exit_process=True)
        runner = pipe._open(local=local, default_queue=queue)
        run = _Run(pipe, runner)
        with _active_lock:
            if _active is not None:
                raise ValidationError("a pipeline function is running already in this process")
            _active = run
        try:
            result = fn(**pipe.get_parameters())
        except BaseException:
            # a step's value was not there, or Ctrl-C: the steps still running stop too
            pipe.stop(timeout=60)
            raise
        finally:
            with _active_lock:
                _active = None
            runner.close()
        pipe.wait()
        return result

    @classmethod
    def run_locally(cls) -> None:
        """Run the pipeline here, its steps as subprocesses (ClearML's ``run_locally``)."""
        cls._run_locally = True

    @classmethod
    def debug_pipeline(cls) -> None:
        """Run the pipeline here with every component a plain function call (no tasks)."""
        cls._debug = True

    @classmethod
    def set_default_execution_queue(cls, default_execution_queue: str | None) -> None:
        """The queue of the components that name none."""
        cls._default_queue = default_execution_queue

    @classmethod
    def get_logger(cls) -> Any:
        """The controller task's logger (for the run's own metrics)."""
        from corral.sdk.task import Task

        current = Task.current_task()
        if current is None:
            raise ValidationError("get_logger() works inside a running pipeline function")
        return current.get_logger()
