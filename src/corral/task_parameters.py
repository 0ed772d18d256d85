"""Typed task parameters as a class (ClearML's ``clearml.task_parameters``)."""
