"""Reports of a model (``OutputModel.report_scalar``, ``report_table``...): how they travel.

A model's scalars and plots are stored on the hub for that model
(``POST /models/{id}/events``) and read back with ``GET /models/{id}/scalars`` and
``/plots``. :class:`ModelReporter` gathers them for up to a second and hands each
batch to the running task's outbox as one request, so a report never blocks the
script and is spooled like any other report when the hub is away. What is still
gathered when the task closes is handed over before the outbox's last flush.

Without a running task (a ``Model`` read by id in a plain script) each batch is
sent at once, in the caller's thread.

The figures follow :mod:`corral.sdk.figures`; the two it has no builder for here
(3-D scatter, surface) are built in this module.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from corral.sdk import threads
from corral.sdk.handle import RunHandle
from corral.sdk.plot_json import sanitize
from corral.sdk.session import hub_client

#: seconds a report waits for others to share its request
GATHER = 1.0
#: events that make a batch go at once
BATCH_EVENTS = 1000


class ModelReporter:
    """Gathers the reports of one model and sends them in batches.

    Args:
        model_id: the model's id.
        handle: the running task whose outbox carries the batches; ``None``: sent at once.
    """

    def __init__(self, model_id: str, handle: RunHandle | None) -> None:
        self.model_id = model_id
        self._handle = handle
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._timer: threading.Timer | None = None
        #: the run's outbox still sends (it stops once the run has closed)
        self._outbox_open = handle is not None and handle.outbox is not None
        run = handle.run if handle is not None else None
        if run is not None:
            if run.active:
                run.on_stop(self.flush)  # before the outbox's last flush
                run.on_closed(self._outbox_closed)
            else:
                self._outbox_open = False

    def _outbox_closed(self) -> None:
        self._outbox_open = False

    def scalar(self, title: str, series: str, value: float, iteration: int) -> None:
        number = float(value)
        self._add(
            {
                "type": "scalar",
                "metric": str(title),
                "variant": str(series),
                "iteration": int(iteration),
                "value": number if math.isfinite(number) else None,
            }
        )

    def plot(self, title: str, series: str, iteration: int | None, figure: dict[str, Any]) -> None:
        self._add(
            {
                "type": "plot",
                "metric": str(title),
                "variant": str(series),
                "iteration": int(iteration or 0),
                "figure": sanitize(figure),
            }
        )

    def _add(self, event: dict[str, Any]) -> None:
        if not event["metric"] or not event["variant"]:
            raise ValueError("a model report needs a non-empty title and series")
        direct = not self._outbox_open
        with self._lock:
            self._pending.append(event)
            full = len(self._pending) >= BATCH_EVENTS
            if not direct and not full and self._timer is None:
                self._timer = threading.Timer(GATHER, self.flush)
                self._timer.daemon = True
                threads.start(self._timer)
        if direct or full:
            self.flush()

    def flush(self) -> None:
        """Hand what is gathered to the outbox (or send it, without a running task)."""
        with self._lock:
            events, self._pending = self._pending, []
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if not events:
            return
        batch_id = uuid.uuid4().hex
        handle = self._handle
        if self._outbox_open and handle is not None and handle.outbox is not None:
            handle.outbox.op(
                {
                    "kind": "request",
                    "method": "POST",
                    "path": f"models/{self.model_id}/events",
                    "json": {"batch_id": batch_id, "events": events},
                }
            )
            return
        hub_client().models.post_events(self.model_id, batch_id, events)


# --- figures this module builds ------------------------------------------------------------


def _tolist(values: Any) -> list[Any]:
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    if hasattr(values, "tolist"):
        values = values.tolist()
    return list(values)


def _axis(title: str | None) -> dict[str, Any]:
    return {"title": {"text": title or ""}}


def scatter3d(
    points: Any,
    *,
    name: str = "",
    mode: str = "markers",
    labels: Sequence[str] | None = None,
    fill: bool = False,
    title: str = "",
    xaxis: str | None = None,
    yaxis: str | None = None,
    zaxis: str | None = None,
) -> dict[str, Any]:
    """Points ``[[x, y, z], ...]`` in 3-D; a list of such lists draws one trace each.

    Example:
        >>> scatter3d([[0, 1, 2], [1, 2, 3]])["data"][0]["z"]
        [2, 3]
    """
    rows = _tolist(points)
    groups = [rows] if rows and len(_tolist(rows[0])) == 3 and not _nested(rows[0]) else rows
    data = []
    for n, group in enumerate(groups):
        pts = [_tolist(p) for p in _tolist(group)]
        if any(len(p) != 3 for p in pts):
            raise ValueError("scatter3d points must be (x, y, z) triples, N x 3")
        trace: dict[str, Any] = {
            "type": "scatter3d",
            "mode": mode,
            "x": [p[0] for p in pts],
            "y": [p[1] for p in pts],
            "z": [p[2] for p in pts],
            "name": name if len(groups) == 1 else f"{name} {n}".strip(),
        }
        if labels is not None:
            if len(labels) != len(pts):
                raise ValueError(f"labels has {len(labels)} texts for {len(pts)} points")
            trace["text"] = list(labels)
        if fill:
            trace["surfaceaxis"] = 2
        data.append(trace)
    layout = {
        "title": {"text": title},
        "scene": {"xaxis": _axis(xaxis), "yaxis": _axis(yaxis), "zaxis": _axis(zaxis)},
    }
    figure: dict[str, Any] = sanitize({"data": data, "layout": layout})
    return figure


def _nested(value: Any) -> bool:
    first = _tolist(value)[0] if len(_tolist(value)) else None
    return isinstance(first, (list, tuple)) or getattr(first, "ndim", 0) > 0


def surface(
    matrix: Any,
    *,
    xlabels: Sequence[Any] | None = None,
    ylabels: Sequence[Any] | None = None,
    title: str = "",
    xaxis: str | None = None,
    yaxis: str | None = None,
    zaxis: str | None = None,
    camera: Sequence[float] | None = None,
) -> dict[str, Any]:
    """A 3-D surface of ``matrix[y][x]`` (heights).

    Example:
        >>> surface([[0, 1], [1, 2]])["data"][0]["type"]
        'surface'
    """
    rows = [_tolist(r) for r in _tolist(matrix)]
    if not rows or len({len(r) for r in rows}) != 1:
        raise ValueError("surface needs a 2-D matrix with rows of equal length")
    trace: dict[str, Any] = {"type": "surface", "z": rows}
    if xlabels is not None:
        trace["x"] = _tolist(xlabels)
    if ylabels is not None:
        trace["y"] = _tolist(ylabels)
    scene: dict[str, Any] = {"xaxis": _axis(xaxis), "yaxis": _axis(yaxis), "zaxis": _axis(zaxis)}
    if camera is not None:
        eye = [float(c) for c in camera]
        if len(eye) != 3:
            raise ValueError("camera is the eye's position (x, y, z)")
        scene["camera"] = {"eye": {"x": eye[0], "y": eye[1], "z": eye[2]}}
    figure: dict[str, Any] = sanitize(
        {"data": [trace], "layout": {"title": {"text": title}, "scene": scene}}
    )
    return figure


def finish_layout(
    figure: dict[str, Any], comment: str | None, extra_layout: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A figure with ``comment`` under its title and ``extra_layout`` merged into its layout."""
    layout = dict(figure.get("layout") or {})
    if comment:
        title = dict(layout.get("title") or {})
        text = title.get("text") or ""
        title["text"] = f"{text}<br><sub>{comment}</sub>" if text else comment
        layout["title"] = title
    if extra_layout:
        if not isinstance(extra_layout, Mapping):
            raise TypeError(
                f"extra_layout must be a dict of plotly layout keys, not {type(extra_layout)}"
            )
        layout.update(extra_layout)
    return {**figure, "layout": layout}
