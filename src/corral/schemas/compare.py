"""Reads of several tasks at once, for the compare page: plots and debug samples.

Each item carries the ``task_id`` it belongs to; ``iterations`` lists, per task and
(metric, variant), the iterations that have something, for an iteration picker.
"""

from __future__ import annotations

from pydantic import BaseModel

from corral.schemas.events import DebugSampleOut, PlotOut, SeriesIterations


class TaskSeriesIterations(SeriesIterations):
    task_id: str


class TaskPlotOut(PlotOut):
    task_id: str


class TaskPlotsOut(BaseModel):
    items: list[TaskPlotOut]
    iterations: list[TaskSeriesIterations]


class TaskDebugSampleOut(DebugSampleOut):
    task_id: str


class TaskDebugSamplesOut(BaseModel):
    items: list[TaskDebugSampleOut]
    iterations: list[TaskSeriesIterations]
