"""What the task table can show besides a task's own fields: its hyperparameters and metrics."""

from __future__ import annotations

from corral.schemas.common import Output


class HyperparamColumn(Output):
    """A hyperparameter some task in scope has: ``Args/lr`` is section ``Args``, name ``lr``."""

    section: str
    name: str


class MetricColumn(Output):
    """A metric series some task in scope reported (its last/min/max are in ``last_metrics``)."""

    metric: str
    variant: str


class TaskColumns(Output):
    """``GET /tasks/columns``: distinct names, sorted; ``truncated`` if there were more."""

    hyperparams: list[HyperparamColumn]
    metrics: list[MetricColumn]
    truncated: bool = False
