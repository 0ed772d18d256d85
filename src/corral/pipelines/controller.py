"""``PipelineController``: a DAG of steps - clones of existing tasks, or plain Python
functions - run by a controller task, with ClearML's signatures.

Example::

    from corral import PipelineController

    pipe = PipelineController(name="parking", project="parking", version="1.0.0")
    pipe.add_parameter("rows", 1000)
    pipe.add_function_step("load", load, function_kwargs={"rows": "${pipeline.rows}"},
                           function_return=["data"], cache_executed_step=True)
    pipe.add_function_step("train", train, function_kwargs={"data": "${load.data}"},
                           function_return=["model"])
    pipe.add_step("evaluate", base_task_project="parking", base_task_name="eval",
                  parents=["train"], parameter_override={"Args/model": "${train.id}"})
    pipe.start_locally(run_pipeline_steps_locally=True)
    assert pipe.is_successful()

The controller is an ordinary task (type ``controller``): ``start(queue="services")``
sends it to an agent, where the same script runs the loop; a clone of it with edited
parameters (section ``Args``) runs the pipeline with those values.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from corral.core import pipelines as P
from corral.errors import NotFoundError, ValidationError
from corral.pipelines import nodes as N
from corral.pipelines.nodes import Node
from corral.pipelines.runner import Runner

#: the controller's parameter section (ClearML's)
ARGS = "Args"


class PipelineController:
    """A pipeline run: its parameters, its steps, and the controller task running them."""

    def __init__(
        self,
        name: str,
        project: str,
        version: str | None = None,
        pool_frequency: float = 0.2,
        add_pipeline_tags: bool = False,
        target_project: str | bool | None = True,
        abort_on_failure: bool = False,
        retry_on_failure: int | Callable[..., bool] | None = None,
        docker: str | None = None,
        packages: Sequence[str] | None = None,
        repo: str | None = None,
        force_rerun: bool = False,
        cache_ttl: float | None = None,
    ) -> None:
        """Create the controller task (or, under an agent, attach to it).

        Args:
            name: the pipeline's name (the controller task's name).
            project: the project of the controller and, by default, of its steps.
            version: the pipeline's version (``1.0.0``), shown with its runs.
            pool_frequency: seconds between two looks at the running steps (ClearML
                counts minutes here; Corral counts seconds).
            add_pipeline_tags: tag each step task ``pipe: <controller id>``.
            abort_on_failure: a failed step aborts the running ones and ends the run;
                otherwise the branches that do not depend on it go on.
            retry_on_failure: how many times a failed step runs again (or a callable
                ``(pipeline, node, retries) -> bool``); each step may override it.
            docker, packages: the default container image and requirements of function steps.
            repo: accepted for ClearML's signature; function steps carry their code.
            force_rerun: run every step, cache or not.
            cache_ttl: seconds a cached result stays valid (None: forever).
        """
        from corral.sdk.session import hub_client
        from corral.sdk.task import Task

        self._name = name
        self._project = project
        self._version = version
        self._pool_frequency = pool_frequency
        self._add_pipeline_tags = add_pipeline_tags
        self._abort_on_failure = abort_on_failure
        self._retry_on_failure = retry_on_failure
        self._docker = docker
        self._packages = list(packages) if packages else None
        self._repo = repo
        self._force_rerun = force_rerun
        self._cache_ttl = cache_ttl
        self._nodes: dict[str, Node] = {}
        self._parameters: dict[str, Any] = {}
        self._descriptions: dict[str, dict[str, Any]] = {}
        self._default_queue: str | None = None
        self._runner: Runner | None = None
        self._thread: threading.Thread | None = None
        self._successful: bool | None = None
        self._client = hub_client()
        current = Task.current_task()
        self._task = current or Task.init(
            project_name=project, task_name=name, task_type="controller",
            auto_connect_arg_parser=False, reuse_last_task_id=False,
        )  # fmt: skip
        if add_pipeline_tags:
            self._task.add_tags(["pipeline"])
        if version:
            self._task.set_user_properties(version=version)

    # --- building ---------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The controller task's id."""
        return self._task.id

    @property
    def task(self) -> Any:
        """The controller task (a :class:`corral.Task`)."""
        return self._task

    def add_parameter(
        self,
        name: str,
        default: Any = None,
        description: str | None = None,
        param_type: str | type | None = None,
    ) -> None:
        """A pipeline parameter (section ``Args`` of the controller), for ``${pipeline.NAME}``."""
        if not name or "/" in name:
            raise ValidationError(f"bad parameter name {name!r}")
        self._parameters[name] = default
        type_name = param_type.__name__ if isinstance(param_type, type) else param_type
        self._descriptions[name] = {"description": description or "", "type": type_name or ""}

    def get_parameters(self) -> dict[str, Any]:
        """The pipeline's parameters (with the values the controller task holds once run)."""
        return dict(self._parameters)

    def set_default_execution_queue(self, default_execution_queue: str | None) -> None:
        """The queue of the steps that name none."""
        self._default_queue = default_execution_queue

    def add_step(
        self,
        name: str,
        base_task_id: str | None = None,
        parents: Sequence[str] | None = None,
        parameter_override: Mapping[str, Any] | None = None,
        configuration_overrides: Mapping[str, Any] | None = None,
        task_overrides: Mapping[str, Any] | None = None,
        execution_queue: str | None = None,
        time_limit: float | None = None,
        base_task_project: str | None = None,
        base_task_name: str | None = None,
        continue_on_fail: bool = False,
        pre_execute_callback: Callable[..., Any] | None = None,
        post_execute_callback: Callable[..., Any] | None = None,
        cache_executed_step: bool = False,
        retry_on_failure: int | Callable[..., bool] | None = None,
    ) -> bool:
        """A step that runs a clone of an existing task, with overrides.

        ``parameter_override`` maps ``SECTION/NAME`` (a bare name: ``Args``) to values,
        ``configuration_overrides`` configuration names to text or dicts, and
        ``task_overrides`` dotted task fields (``script.branch``, ``container.image``)
        to values; any of them may hold references (``${pipeline.lr}``,
        ``${prep.id}``, ``${prep.artifacts.data.url}``...), and a referenced step
        becomes a parent. ``time_limit`` is in seconds.
        """
        self._check_new(name)
        if not base_task_id:
            if not base_task_name:
                raise ValidationError(
                    f"step {name!r} needs base_task_id, or base_task_project and base_task_name"
                )
            base_task_id = self._find_task(base_task_project, base_task_name)
        else:
            try:
                self._client.tasks.get(base_task_id)
            except NotFoundError as e:
                raise ValidationError(f"step {name!r}: no base task {base_task_id!r}") from e
        self._nodes[name] = Node(
            name=name,
            base_task_id=base_task_id,
            parents=list(parents or []),
            queue=execution_queue,
            timeout=time_limit,
            parameters=dict(parameter_override or {}),
            configurations=dict(configuration_overrides or {}),
            task_overrides=dict(task_overrides or {}),
            continue_on_fail=continue_on_fail,
            cache_executed_step=cache_executed_step,
            retries=retry_on_failure,
            pre_execute_callback=pre_execute_callback,
            post_execute_callback=post_execute_callback,
        )
        return True

    def add_function_step(
        self,
        name: str,
        function: Callable[..., Any],
        function_kwargs: Mapping[str, Any] | None = None,
        function_return: Sequence[str] | None = None,
        project_name: str | None = None,
        task_name: str | None = None,
        task_type: str | None = None,
        packages: Sequence[str] | None = None,
        repo: str | None = None,
        helper_functions: Sequence[Callable[..., Any]] | None = None,
        docker: str | None = None,
        parents: Sequence[str] | None = None,
        execution_queue: str | None = None,
        time_limit: float | None = None,
        continue_on_fail: bool = False,
        pre_execute_callback: Callable[..., Any] | None = None,
        post_execute_callback: Callable[..., Any] | None = None,
        cache_executed_step: bool = False,
        retry_on_failure: int | Callable[..., bool] | None = None,
    ) -> bool:
        """A step that runs ``function`` as a standalone script task.

        ``function_kwargs`` values are plain values or references: ``${step.NAME}`` is
        the return value ``NAME`` of another function step (loaded in the step's
        process), ``${pipeline.PARAM}`` a parameter. ``function_return`` names the
        return values (one name: the value; several: a tuple), stored as artifacts.
        The function must stand alone (imports inside it; other functions it calls in
        ``helper_functions``): the error says which name is missing. ``project_name``,
        ``task_name`` and ``task_type`` set the step task's project, name and type
        (default: the controller's project, the step's name, ``data_processing``).
        """
        from corral.pipelines.function_code import step_script

        self._check_new(name)
        returns = list(function_return or [])
        # fails now (not when it runs) on a lambda, a closure, a missing name
        step_script(function, list(helper_functions or []), returns=returns, step=name)
        self._nodes[name] = Node(
            name=name,
            parents=list(parents or []),
            queue=execution_queue,
            timeout=time_limit,
            continue_on_fail=continue_on_fail,
            cache_executed_step=cache_executed_step,
            retries=retry_on_failure,
            pre_execute_callback=pre_execute_callback,
            post_execute_callback=post_execute_callback,
            function=function,
            task_name=task_name,
            task_type=str(task_type) if task_type else None,
            project=project_name,
            function_kwargs=dict(function_kwargs or {}),
            function_return=returns,
            helper_functions=list(helper_functions or []),
            packages=list(packages) if packages else self._packages,
            docker=docker or self._docker,
        )
        return True

    def _check_new(self, name: str) -> None:
        P.check_step_name(name)
        if name in self._nodes:
            raise ValidationError(f"there is already a step named {name!r}")

    def _find_task(self, project: str | None, name: str) -> str:
        params: dict[str, Any] = {"text": name, "limit": 50, "sort": "-created_at"}
        if project:
            found = self._client.projects.find(project)
            if found is None:
                raise ValidationError(f"no project {project!r} for base task {name!r}")
            params["project_id"] = found["id"]
        for brief in self._client.tasks.list(**params)["items"]:
            if brief["name"] == name:
                return str(brief["id"])
        where = f" in project {project!r}" if project else ""
        raise ValidationError(f"no task named {name!r}{where} to use as a base task")

    # --- checking -----------------------------------------------------------------------

    def validate(self) -> None:
        """Check the DAG before anything runs: references, parents, cycles, queues."""
        if not self._nodes:
            raise ValidationError("the pipeline has no steps: add_step or add_function_step")
        N.check_references(self._nodes, self._parameters)
        P.order({n.name: n.parents for n in self._nodes.values()})

    def _check_queues(self) -> None:
        names = {n.queue or self._default_queue or "default" for n in self._nodes.values()}
        for queue in sorted(names):
            try:
                self._client.queues.get(queue)
            except NotFoundError as e:
                raise ValidationError(
                    f"no queue {queue!r} (used by the pipeline's steps): create it with "
                    f"`corral queue create {queue}` or pick another execution_queue"
                ) from e

    # --- running ------------------------------------------------------------------------

    def start(self, queue: str = "services", wait: bool = True, **_: Any) -> bool:
        """Run the controller on an agent (``queue``); under that agent, run the pipeline.

        Locally the script's process ends here (``Task.execute_remotely``); the agent runs
        the same script, and there ``start`` runs the steps on their queues.
        """
        self.validate()
        if os.environ.get("CORRAL_TASK_ID") != self._task.id:
            self._publish_definition()
            self._task.execute_remotely(queue_name=queue, exit_process=True)
            return True
        return self._start(local=False, wait=wait)

    def start_locally(self, run_pipeline_steps_locally: bool = False) -> bool:
        """Run the controller here until the pipeline ends; the steps run on agents (their
        queues), or with ``run_pipeline_steps_locally`` as subprocesses of this one."""
        self.validate()
        return self._start(local=run_pipeline_steps_locally, wait=True)

    def _open(self, *, local: bool, default_queue: str | None) -> Runner:
        """Start the loop with no steps yet (a decorator pipeline adds them as it calls
        its components); ``Runner.close()`` says no more will come."""
        self._default_queue = default_queue
        self._start(local=local, wait=False, open_=True)
        assert self._runner is not None
        return self._runner

    def _start(self, *, local: bool, wait: bool, open_: bool = False) -> bool:
        if not local and not open_:
            self._check_queues()
        self._parameters = dict(self._task.connect(self._parameters, name=ARGS))
        self._publish_definition()
        controller = self._client.tasks.get(self._task.id)
        self._runner = Runner(
            self._client,
            controller,
            self._nodes,
            self._parameters,
            local=local,
            default_queue=self._default_queue,
            abort_on_failure=self._abort_on_failure,
            retry_on_failure=self._retry_on_failure,
            force_rerun=self._force_rerun,
            cache_ttl=self._cache_ttl,
            poll=self._pool_frequency,
            owner=self,
            step_tags=[f"pipe: {self._task.id}"] if self._add_pipeline_tags else None,
        )
        self._runner.open = open_
        self._thread = threading.Thread(target=self._loop, name="corral-pipeline", daemon=True)
        self._thread.start()
        if wait:
            self.wait()
        return True

    def _loop(self) -> None:
        assert self._runner is not None
        try:
            self._successful = self._runner.run()
        except BaseException:
            self._successful = False
            raise
        finally:
            if not self._successful:
                failed = [n.name for n in self._nodes.values() if n.status == N.FAILED]
                reason = f"step {failed[0]!r} failed" if failed else "the pipeline was stopped"
                self._task.mark_failed(status_reason=reason)

    def _publish_definition(self) -> None:
        dag = {
            "name": self._name,
            "version": self._version,
            "parameters": {
                k: {"default": v, **self._descriptions.get(k, {})}
                for k, v in self._parameters.items()
            },
            "steps": {
                n.name: {
                    "parents": n.parents,
                    "kind": "function" if n.is_function else "task",
                    "base_task_id": n.base_task_id,
                    "queue": n.queue or self._default_queue,
                    "cache": n.cache_executed_step,
                }
                for n in self._nodes.values()
            },
        }
        self._task.set_configuration_object("Pipeline", config_dict=dag)

    @property
    def running(self) -> bool:
        """The run's loop is going (started and not ended)."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the run to end (``timeout`` seconds at most); True if it ended."""
        if self._thread is None:
            return True
        try:
            self._thread.join(timeout)
        except (KeyboardInterrupt, SystemExit):
            # Ctrl-C, or the controller task aborted on the hub: its steps stop too
            self.stop(timeout=60)
            raise
        return not self._thread.is_alive()

    def stop(self, timeout: float | None = None, mark_failed: bool = False,
             mark_aborted: bool = False) -> None:  # fmt: skip
        """Abort the running steps and end the run (waits ``timeout`` seconds at most)."""
        if self._runner is not None:
            self._runner.stopping.set()
        self.wait(timeout)

    def is_successful(self, fail_on_step_fail: bool = True, fail_condition: str = "all") -> bool:
        """True when the run ended and every step succeeded (a cached step counts) or was
        allowed to fail (``continue_on_fail``)."""
        if self._thread is None or self._thread.is_alive():
            return False
        return bool(self._successful)

    def get_pipeline_dag(self) -> dict[str, Node]:
        """The steps by name (:class:`Node`: parents, status, ``executed`` task id...)."""
        return dict(self._nodes)

    def get_running_nodes(self) -> list[str]:
        """The names of the steps running now."""
        return [n.name for n in self._nodes.values() if n.status == N.RUNNING]

    def get_processed_nodes(self) -> list[str]:
        """The names of the steps that have ended (completed, cached, failed, skipped...)."""
        return [n.name for n in self._nodes.values() if n.status in N.DONE]
