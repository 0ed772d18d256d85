"""Typed task parameters as a class (ClearML's ``clearml.task_parameters``).

``from corral.task_parameters import TaskParameters, param, percent_param`` - see
``corral.sdk.task_parameters``.
"""

from corral.sdk.task_parameters import TaskParameters, param, percent_param, range_validator

__all__ = ["TaskParameters", "param", "percent_param", "range_validator"]
