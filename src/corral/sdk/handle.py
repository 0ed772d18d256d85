"""The run handle: the narrow view of a task that the SDK's helpers work through.

``Task`` is the public facade; the ``Logger``, artifacts, models, the capture and
``execute_remotely`` never see it. They get a :class:`RunHandle`: the task's id and
data as the hub last returned them, the outbox its changes go through (``None`` for a
task this process does not run: its changes are sent at once), where its files go,
and - for the task this process runs - the live :class:`RunControl`.

Dependencies point one way: ``task -> {logger, artifacts, model, remote, run_capture,
run} -> handle``; this module imports none of them.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from corral.sdk.outbox import Outbox
from corral.sdk.sender import send
from corral.sdk.session import hub_client
from corral.sdk.spool import spool_root


class RunControl(Protocol):
    """What helpers may ask of the live run (``corral.sdk.run.Run``)."""

    remote: bool
    offline: bool
    active: bool
    capture_done: threading.Event
    #: output models published once the task has completed
    publish_after: list[str]

    def on_stop(self, stopper: Any) -> None: ...

    def on_closed(self, callback: Any) -> None: ...

    def finish(self, status: str, body: dict[str, Any] | None = None) -> None: ...

    def close(
        self,
        status: str = "completed",
        body: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> bool: ...

    def hand_over(self, timeout: float) -> bool: ...


class RunHandle:
    """A task as the helpers see it.

    Attributes:
        data: the task as the hub last returned it (the facade reads and writes it).
        outbox: the running task's outbox; ``None`` for any other task.
        run: the live run of the task ``Task.init`` started, else ``None``.
        output_uri: where its files go (``hub://`` or a storage URL).
        console_captured: stdout/stderr already reach the task's log (console capture
            or an agent), so ``report_text`` need not send its lines again.
        iteration_offset: added to reported iterations (a continued task).
        logger: the run's ``Logger``, made by ``corral.sdk.logger`` on first use.
        local_artifacts: artifacts uploaded by this process, by name (readable at once).
        registered: the run's live artifacts (``corral.sdk.registered``), made by
            ``register_artifact``; ``flush`` uploads those that changed first.
    """

    def __init__(self, data: dict[str, Any], *, outbox: Outbox | None = None) -> None:
        self.data = data
        self.outbox = outbox
        self.run: RunControl | None = None
        self.output_uri = ""
        self.console_captured = False
        self.iteration_offset = 0
        self.logger: Any = None
        self.local_artifacts: dict[str, Any] = {}
        self.registered: Any = None
        self.models_input: list[dict[str, str]] = list(data.get("models", {}).get("input", []))
        #: called by ``flush`` before it waits (connected objects send their changes)
        self.before_flush: list[Callable[[], None]] = []

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @property
    def project_name(self) -> str:
        return str(self.data.get("project_name") or "")

    @property
    def offline(self) -> bool:
        return self.run is not None and self.run.offline

    @property
    def remote(self) -> bool:
        """The task came from the hub (an agent runs it): stored values win over the code's."""
        return self.run is not None and self.run.remote

    # --- changes of the task ----------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        force: bool = True,
        accept: list[int] | None = None,
    ) -> None:
        """A change of this task: through the outbox when running, else at once.

        ``force`` lets the running task write its own inputs (``?force=true``).
        """
        if self.outbox is not None:
            op: dict[str, Any] = {"kind": "request", "method": method, "path": path, "json": body}
            if force:
                op["params"] = {"force": "true"}
            if accept:
                op["accept"] = accept
            self.outbox.op(op)
            return
        hub_client().request(method, path, json=body)

    def set_section(self, section: str, values: dict[str, dict[str, Any]]) -> None:
        """Merge typed parameters (``{name: {"value", "type", ...}}``) into a section."""
        hp = self.data.setdefault("hyperparams", {})
        current = dict(hp.get(section) or {})
        for key, param in values.items():
            current[key] = {"description": "", **param}
        hp[section] = current
        self.request("PATCH", f"tasks/{self.id}/hyperparams", {"hyperparams": {section: values}})

    def add_input_model(self, name: str, model_id: str) -> None:
        if any(ref["model_id"] == model_id for ref in self.models_input):
            return
        self.models_input.append({"name": name, "model_id": model_id})
        self.request("PATCH", f"tasks/{self.id}", {"models": {"input": self.models_input}})

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Send what is pending (the running task); ``True`` when the hub has it."""
        if self.registered is not None:
            self.registered.sync()
        for hook in list(self.before_flush):
            hook()
        return True if self.outbox is None else self.outbox.flush(timeout)

    # --- files --------------------------------------------------------------------------

    @property
    def scratch_path(self) -> Path:
        """The folder of this task's temporary files (removed when the run closes)."""
        return spool_root().parent / "tmp" / self.id

    def scratch_dir(self) -> Path:
        """The folder of this task's temporary files, made if missing."""
        folder = self.scratch_path
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def scratch_file(self, data: bytes, ext: str) -> Path:
        path = self.scratch_dir() / f"{uuid.uuid4().hex}{ext}"
        path.write_bytes(data)
        return path

    def output_target(self, kind: str, name: str) -> str:
        """The URI for a file this task makes: ``hub://tasks/ID/KIND/NAME`` or under output_uri."""
        base = (self.output_uri or "hub://").rstrip("/")
        if base in ("hub:", "hub:/", "hub://", ""):
            return f"hub://tasks/{self.id}/{kind}/{name}"
        project = self.project_name or "project"
        return f"{base}/{project}/{self.name}.{self.id}/{kind}/{name}"

    def upload(
        self, src: Path, dst: str, *, remove_src: bool, record: dict[str, Any] | None = None
    ) -> None:
        """Upload ``src`` to ``dst``, then send ``record`` (the request that points at it)."""
        op = {"kind": "upload", "src": str(src), "dst": dst, "remove_src": remove_src}
        op["record"] = record
        if self.outbox is None:
            send(hub_client(), op)
            return
        self.outbox.op(op)


# --- the run of this process ---------------------------------------------------------------

_current: RunHandle | None = None


def current_handle() -> RunHandle | None:
    """The handle of the task ``Task.init`` started in this process, or ``None``."""
    return _current


def set_current(handle: RunHandle | None) -> None:
    global _current
    _current = handle


class HasHandle(Protocol):
    """Anything that carries a run handle (a ``Task``)."""

    @property
    def handle(self) -> RunHandle: ...
