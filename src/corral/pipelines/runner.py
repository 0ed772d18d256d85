"""The controller's loop: launch the steps whose parents are done, follow them, retry,
skip, cache, and record the DAG's state on the controller task.

Steps go to their queues (agents run them), or - ``local`` - run here as
subprocesses. The loop is one thread; ``stop()`` from another thread asks it to abort
what runs and end. A controller started again (the same task, e.g. after its agent
was killed) picks up its earlier step tasks by the ``pipeline_step`` name in their
``runtime``: finished ones are not run again, running ones are followed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from corral.client.http import HubClient
from corral.core import pipelines as P
from corral.errors import ConflictError, CorralError, ValidationError
from corral.pipelines import nodes as N
from corral.pipelines.nodes import Node
from corral.pipelines.step_main import KWARGS, KWARGS_ARTIFACTS

log = logging.getLogger("corral.pipelines")

_SUCCESS = {"completed", "published"}
_FAILURE = {"failed": N.FAILED, "stopped": N.ABORTED}
#: the longest wait between two attempts of a failing step (seconds)
BACKOFF_MAX = 60.0


class Runner:
    """Runs the nodes of one pipeline for one controller task."""

    def __init__(
        self,
        client: HubClient,
        controller: Mapping[str, Any],
        nodes: dict[str, Node],
        parameters: dict[str, Any],
        *,
        local: bool,
        default_queue: str | None,
        abort_on_failure: bool,
        retry_on_failure: int | Callable[..., bool] | None,
        force_rerun: bool,
        cache_ttl: float | None,
        poll: float,
        owner: Any,
        backoff: float = 1.0,
        step_tags: list[str] | None = None,
    ) -> None:
        self.client = client
        self.controller = dict(controller)
        self.nodes = nodes
        self.parameters = parameters
        self.local = local
        self.default_queue = default_queue
        self.abort_on_failure = abort_on_failure
        self.retry_on_failure = retry_on_failure
        self.force_rerun = force_rerun
        self.cache_ttl = cache_ttl
        self.poll = poll
        self.owner = owner
        self.backoff = backoff
        self.step_tags = list(step_tags or [])
        self.failed = False
        self.stopping = threading.Event()
        #: while open (a decorator pipeline's function runs), steps may still be added
        self.open = False
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.workdir = Path(tempfile.mkdtemp(prefix="corral-pipeline-"))
        self._order = P.order({n.name: n.parents for n in nodes.values()})

    # --- the loop -----------------------------------------------------------------------

    def add(self, node: Node) -> None:
        """A step added while the pipeline runs (a decorator pipeline's component call)."""
        with self.lock:
            self.nodes[node.name] = node
            self._take_over(node)
            self._order = P.order({n.name: n.parents for n in self.nodes.values()})

    def close(self) -> None:
        """No more steps will be added: the loop ends once the last one has."""
        with self.lock:
            self.open = False

    def notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def run(self) -> bool:
        """Run to the end; True when every step succeeded (or was allowed to fail)."""
        self._resume()
        self._record()
        while not self.stopping.is_set():
            with self.lock:
                changed = self._follow()
                if not (self.failed and self.abort_on_failure):
                    changed |= self._launch_ready()
                if changed:
                    self._record()
                    self.notify()
                busy = self.open or any(n.status == N.RUNNING for n in self.nodes.values())
                if not busy and not any(
                    self._ready(n) or (n.status == N.PENDING and n.retry_at)
                    for n in self.nodes.values()
                ):
                    break
            self.stopping.wait(self.poll)
        if self.stopping.is_set():
            self._abort_running("the pipeline was stopped")
        for node in self.nodes.values():
            if node.status == N.PENDING:
                node.status = N.SKIPPED
                node.reason = node.reason or "not run: the pipeline ended before it"
        self._record()
        self.notify()
        return not self.failed and not self.stopping.is_set()

    def _ready(self, node: Node) -> bool:
        if node.status != N.PENDING or node.retry_at > time.time():
            return False
        return all(self.nodes[p].status in N.DONE for p in node.parents)

    def _launch_ready(self) -> bool:
        changed = False
        for name in self._order:
            node = self.nodes[name]
            if not self._ready(node):
                continue
            blocked = [
                p for p in node.parents
                if not self.nodes[p].succeeded and not self.nodes[p].continue_on_fail
            ]  # fmt: skip
            if blocked:
                node.status = N.SKIPPED
                node.reason = f"parent {blocked[0]!r} did not succeed"
            else:
                try:
                    self._launch(node)
                except CorralError as e:
                    self._fail(node, f"could not launch: {N.describe_error(e)}")
            changed = True
        return changed

    def _follow(self) -> bool:
        changed = False
        for node in self.nodes.values():
            if node.status != N.RUNNING or node.executed is None:
                continue
            status, reason = self._status_of(node)
            if status is None:
                if node.timeout and node.started and time.time() - node.started > node.timeout:
                    self._abort(node, f"time limit of {node.timeout:g} s exceeded")
                    self._fail(node, f"aborted: time limit of {node.timeout:g} s exceeded")
                    changed = True
                continue
            node.ended = time.time()
            if status == N.COMPLETED:
                node.status = N.COMPLETED
                if node.post_execute_callback:
                    node.post_execute_callback(self.owner, node)
            else:
                self._fail(node, reason or f"the step's task {status}")
            changed = True
        return changed

    def _status_of(self, node: Node) -> tuple[str | None, str]:
        """(COMPLETED / FAILED / ABORTED, reason) once the step's task ended, else None."""
        assert node.executed is not None
        process = node.process
        if process is not None and process.poll() is None:
            return None, ""
        task = self.client.tasks.get(node.executed)
        status = task["status"]
        if process is not None and status in ("created", "queued", "in_progress"):
            # the process ended without ending its task (it died before Task.init ran)
            code = process.returncode
            reason = f"the step's process exited with code {code}"
            action = "complete" if code == 0 else "fail"
            try:
                if status != "in_progress":
                    self.client.tasks.action(node.executed, "start")
                self.client.tasks.action(node.executed, action, reason=reason, exit_code=code)
            except ConflictError:
                pass
            status = "completed" if code == 0 else "failed"
        if status in _SUCCESS:
            return N.COMPLETED, ""
        if status in _FAILURE:
            return _FAILURE[status], str(task.get("status_reason") or "")
        return None, ""

    def _fail(self, node: Node, reason: str) -> None:
        node.reason = reason
        node.ended = time.time()
        if self._retry(node):
            node.status = N.PENDING
            node.retry_at = time.time() + min(self.backoff * 2 ** (node.attempts - 1), BACKOFF_MAX)
            log.info("step %s failed (%s); attempt %d follows", node.name, reason,
                     node.attempts + 1)  # fmt: skip
            return
        node.status = N.FAILED
        if not node.continue_on_fail:
            self.failed = True
            if self.abort_on_failure:
                self._abort_running(f"step {node.name!r} failed")

    def _retry(self, node: Node) -> bool:
        rule = self.retry_on_failure if node.retries is None else node.retries
        if callable(rule):
            return bool(rule(self.owner, node, node.attempts))
        return node.attempts <= int(rule or 0)

    def _abort(self, node: Node, reason: str) -> None:
        if node.executed:
            try:
                self.client.tasks.action(node.executed, "abort", reason=reason)
            except CorralError:
                pass
        if node.process is not None and node.process.poll() is None:
            node.process.terminate()
            try:
                node.process.wait(30)
            except subprocess.TimeoutExpired:
                node.process.kill()

    def _abort_running(self, reason: str) -> None:
        for node in self.nodes.values():
            if node.status == N.RUNNING:
                self._abort(node, reason)
                node.status = N.ABORTED
                node.reason = reason
                node.ended = time.time()

    # --- launching ----------------------------------------------------------------------

    def _launch(self, node: Node) -> None:
        node.attempts += 1
        node.reason = ""

        def value(ref: P.Ref) -> Any:
            return N.resolve(self.client, self.nodes, self.parameters, ref)

        if node.is_function:
            body, key = self._function_body(node, value)
        else:
            body, key = self._task_body(node, value)
        if node.pre_execute_callback and node.pre_execute_callback(self.owner, node, body) is False:
            node.status = N.SKIPPED
            node.reason = "skipped by its pre_execute_callback"
            return
        runtime: dict[str, Any] = {
            "pipeline_step": node.name,
            "pipeline_run": self.controller["id"],
        }
        if node.limits:
            runtime["pipeline_limits"] = node.limits
        if key:
            runtime["pipeline_cache_key"] = key
            body.setdefault("hyperparams", {})[N.CACHE_SECTION] = {
                "cache_key": {"value": f"sha256:{key}", "type": "str"}
            }
            if not self.force_rerun:
                hit = self._cached(key)
                if hit:
                    node.status, node.cached_from, node.executed = N.CACHED, hit, hit
                    node.started = node.ended = time.time()
                    return
        task_id = self._make_task(node, body, runtime)
        node.executed = task_id
        node.started = time.time()
        node.status = N.RUNNING
        if self.local:
            node.process = self._spawn(node, task_id)
        else:
            queue = node.queue or self.default_queue or "default"
            self.client.tasks.action(task_id, "enqueue", queue=queue)

    def _make_task(self, node: Node, body: dict[str, Any], runtime: dict[str, Any]) -> str:
        if node.executed:  # a retry, or a resumed run: the same task again
            task = self.client.tasks.get(node.executed)
            if task["status"] != "created":
                self.client.tasks.action(node.executed, "reset")
            fields = {} if node.is_function else body
            self._apply(node.executed, fields, body, runtime)
            return node.executed
        if node.is_function:
            made = self.client.tasks.create(**body, runtime=runtime, tags=self.step_tags)
            return str(made["id"])
        made = self.client.post(
            f"tasks/{node.base_task_id}:clone",
            json={"name": node.name, "parent_id": self.controller["id"],
                  "project_id": self.controller["project_id"], "tags": self.step_tags},
        )  # fmt: skip
        self._apply(str(made["id"]), body, body, runtime)
        return str(made["id"])

    def _apply(
        self, task_id: str, fields: dict[str, Any], inputs: dict[str, Any],
        runtime: dict[str, Any],
    ) -> None:  # fmt: skip
        """Set a draft step task's parameters, configuration, fields and runtime."""
        if "hyperparams" in inputs:
            self.client.request(
                "PATCH", f"tasks/{task_id}/hyperparams",
                json={"hyperparams": inputs["hyperparams"], "replace": True},
            )  # fmt: skip
        if inputs.get("configuration"):
            self.client.request(
                "PATCH", f"tasks/{task_id}/configuration",
                json={"configuration": inputs["configuration"]},
            )  # fmt: skip
        rest = {k: v for k, v in fields.items() if k not in ("hyperparams", "configuration")}
        for key in ("name", "project_id", "parent_id", "type"):
            rest.pop(key, None)
        self.client.tasks.update(task_id, runtime=runtime, **rest)

    def _function_body(
        self, node: Node, value: Callable[[P.Ref], Any]
    ) -> tuple[dict[str, Any], str]:
        body = N.function_task_body(node, self.controller)
        plain: dict[str, Any] = {}
        artifacts: dict[str, str] = {}
        inputs: dict[str, str] = {}
        for name, raw in node.function_kwargs.items():
            refs = P.refs_in(raw)
            ref = (
                refs[0]
                if len(refs) == 1 and isinstance(raw, str) and raw.strip() == refs[0].text
                else None
            )
            source = self.nodes.get(ref.step) if ref else None
            if (
                ref
                and source is not None
                and source.is_function
                and ref.path[0] in source.function_return
            ):
                produced = source.cached_from if source.status == N.CACHED else source.executed
                assert produced is not None
                artifacts[name] = f"{produced}.{ref.path[0]}"
                inputs[name] = N.wait_artifact_hashes(self.client, produced, [ref.path[0]])[
                    ref.path[0]
                ]
            else:
                plain[name] = P.substitute(raw, value)
        body["hyperparams"] = {
            KWARGS: N.hyperparams(plain),
            KWARGS_ARTIFACTS: N.hyperparams(artifacts),
        }
        key = ""
        if node.cache_executed_step:
            key = P.cache_key(
                code=body["script"]["code"],
                environment={"requirements": body["script"]["requirements"],
                             "container": body["container"]},
                parameters=plain,
                configuration={},
                inputs=inputs,
            )  # fmt: skip
        return body, key

    def _task_body(self, node: Node, value: Callable[[P.Ref], Any]) -> tuple[dict[str, Any], str]:
        base = self.client.tasks.get(str(node.base_task_id))
        parameters = P.substitute(node.parameters, value)
        configurations = P.substitute(node.configurations, value)
        overrides = P.substitute(node.task_overrides, value)
        body = N.apply_overrides(base, parameters, configurations, overrides)
        key = ""
        if node.cache_executed_step:
            inputs: dict[str, str] = {}
            for ref in N.references(node):
                if ref.step != P.PIPELINE and ref.path[0] == "artifacts":
                    source = self.nodes[ref.step]
                    produced = source.cached_from if source.status == N.CACHED else source.executed
                    assert produced is not None
                    inputs[ref.text] = N.wait_artifact_hashes(self.client, produced, [ref.path[1]])[
                        ref.path[1]
                    ]
            script = {**(base.get("script") or {}), **body.get("script", {})}
            key = P.cache_key(
                code="\n".join(str(script.get(k, "")) for k in
                               ("repository", "commit", "diff", "entry_point", "code")),
                environment={"requirements": script.get("requirements"), "container":
                             {**(base.get("container") or {}), **body.get("container", {})}},
                parameters=body["hyperparams"],
                configuration=body.get("configuration") or base.get("configuration") or {},
                inputs=inputs,
            )  # fmt: skip
        return body, key

    def _cached(self, key: str) -> str | None:
        """The newest completed step task of this project with this cache key (within
        the TTL)."""
        page = self.client.tasks.list(
            filter=f"param:{N.CACHE_SECTION}:cache_key=sha256:{key}",
            status=["completed", "published"],
            project_id=self.controller["project_id"],
            include_subprojects=False,
            sort="-completed_at",
            limit=20,
        )
        for brief in page["items"]:
            task: dict[str, Any] = dict(self.client.tasks.get(brief["id"]))
            if (task.get("runtime") or {}).get("pipeline_cache_key") != key:
                continue  # a clone of a step carries the parameter, not the runtime key
            if self.cache_ttl is not None:
                ended = task.get("completed_at") or task.get("last_update")
                if ended and _age(str(ended)) > self.cache_ttl:
                    continue
            return str(task["id"])
        return None

    def _spawn(self, node: Node, task_id: str) -> subprocess.Popen[bytes]:
        task = self.client.tasks.get(task_id)
        script = task.get("script") or {}
        code = script.get("code") or ""
        if not code:
            raise ValidationError(
                f"step {node.name!r}: its task has no stored code (it comes from repository "
                f"{script.get('repository') or '?'}); run_pipeline_steps_locally runs function "
                "steps and tasks whose script is stored on the task: run this pipeline's steps "
                "on agents instead (start_locally() or start())"
            )
        folder = self.workdir / f"{node.name}-{node.attempts}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (Path(script.get("entry_point") or "step.py").name or "step.py")
        path.write_text(code)
        self.client.tasks.action(task_id, "start")
        env = dict(os.environ, CORRAL_TASK_ID=task_id)
        env.pop("CORRAL_AGENT", None)
        log_file = (folder / "console.txt").open("wb")
        return subprocess.Popen(
            [sys.executable, str(path)], cwd=folder, env=env, stdout=log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    # --- resume and record --------------------------------------------------------------

    def _resume(self) -> None:
        """Take over the step tasks an earlier run of this controller made."""
        self._previous: dict[str, dict[str, Any]] = {}
        for brief in self.client.tasks.iter(parent_id=self.controller["id"]):
            task: dict[str, Any] = dict(self.client.tasks.get(brief["id"]))
            name = (task.get("runtime") or {}).get("pipeline_step")
            if name and name not in self._previous:
                self._previous[name] = task
        for node in self.nodes.values():
            self._take_over(node)

    def _take_over(self, node: Node) -> None:
        task = getattr(self, "_previous", {}).get(node.name)
        if task is None:
            return
        node.executed = str(task["id"])
        status = task["status"]
        if status in _SUCCESS:
            node.status = N.COMPLETED
            node.attempts = 1
        elif status in ("queued", "in_progress") and not self.local:
            node.status = N.RUNNING
            node.attempts = 1
            node.started = time.time()
        # else: launched again (the same task, reset) when its parents are done

    def _record(self) -> None:
        state = {
            "nodes": [self.nodes[n].describe() for n in self._order],
            "failed": self.failed,
        }
        try:
            self.client.tasks.update(self.controller["id"], runtime={"pipeline": state})
        except CorralError as e:
            log.warning("could not record the pipeline's state: %s", N.describe_error(e))


def _age(stamp: str) -> float:
    when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - when).total_seconds()
