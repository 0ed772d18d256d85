"""XGBoost: training curves, and saved models.

* ``xgboost.train`` (and so the scikit-learn wrappers' ``fit``, which call it) gets one
  more training callback, put before the user's (XGBoost calls no further callback once
  one asks to stop, and the round that stops must be reported too): after every round it
  reports the last value of each metric of each evaluation set, with title = the set's
  name (``"train"``, ``"validation_0"``...) and series = the metric (``"rmse"``), at the
  round's number as iteration - ClearML's naming. The second and later trainings of a
  process get `` - 1``, `` - 2``... after the set's name, so their curves do not mix.
  The user's list of callbacks is never modified.
* ``Booster.save_model(path)`` and ``XGBModel.save_model(path)`` register the file as an
  output model (framework ``xgboost``); the scikit-learn wrapper's ``save_model`` calls
  the booster's, and the re-entrancy guard makes that one registration.
"""

from __future__ import annotations

import itertools
import sys
from typing import Any

from corral.sdk.capture.frameworks.base import CaptureSink, logger
from corral.sdk.capture.frameworks.model_files import ModelFileBinding

#: where ``train`` is looked up: the package, its module, and the sklearn wrappers' import
TRAIN_FUNCTIONS = ("xgboost", "xgboost.training", "xgboost.sklearn")


def _last(values: Any) -> float:
    value = values[-1]
    if isinstance(value, tuple):  # xgboost.cv's (mean, std)
        value = value[0]
    return float(value)


def make_callback(sink: CaptureSink, suffix: str) -> Any:
    """A ``TrainingCallback`` that reports each round's evaluation results to ``sink``."""
    from xgboost.callback import TrainingCallback

    class CorralCallback(TrainingCallback):
        """Reports the metrics of every evaluation set after each round (never stops it)."""

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            try:
                for data, metrics in (evals_log or {}).items():
                    for metric, values in metrics.items():
                        if values:
                            sink.report_scalar(f"{data}{suffix}", metric, _last(values), epoch)
            except Exception:  # reporting must never stop a training
                logger.debug("framework capture: xgboost evaluation report failed", exc_info=True)
            return False

    return CorralCallback()


class XGBoostBinding(ModelFileBinding):
    """Patches ``xgboost.train`` (callback) and the two ``save_model`` (model files)."""

    name = "xgboost"
    modules = ("xgboost",)
    framework = "xgboost"
    targets = (("xgboost", "Booster.save_model"), ("xgboost", "XGBModel.save_model"))
    path_param = "fname"

    def __init__(self) -> None:
        super().__init__()
        self._trainings = itertools.count()

    def install(self, sink: CaptureSink) -> None:
        """Patch ``save_model`` and every ``train`` of :data:`TRAIN_FUNCTIONS` imported."""
        with self._lock:
            super().install(sink)
            for module in TRAIN_FUNCTIONS:
                if module in sys.modules:
                    self.patch_path(module, "train", before=self._train)

    def _train(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        sink = self.sink
        if sink is None:
            return
        n = next(self._trainings)
        callback = make_callback(sink, f" - {n}" if n else "")
        kwargs["callbacks"] = [callback, *(kwargs.get("callbacks") or ())]
