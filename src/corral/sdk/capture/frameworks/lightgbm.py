"""LightGBM: training curves, and saved models.

* ``lightgbm.train`` (and so ``LGBMModel.fit``, which calls it) gets one more callback:
  after every boosting round it reports each evaluation result with title = the data
  set's name (``"training"``, ``"valid_0"``...) and series = the metric (``"l2"``), at the
  round's number as iteration - ClearML's naming. It runs before every other callback
  (a callback stops a training by raising, and the round that stops must be reported).
  The user's list of callbacks is never modified.
* the ``params`` of a ``lightgbm.train`` call are recorded as parameters of section
  ``General`` (as ClearML does; a set becomes a list), so the run shows what it trained
  with. A scikit-learn wrapper's ``fit`` reports its curves only.
* ``Booster.save_model(path)`` registers the file as an output model (framework
  ``lightgbm``); the scikit-learn wrappers save through their ``booster_``.
"""

from __future__ import annotations

import sys
from typing import Any

from corral.sdk.capture.frameworks.base import CaptureSink, logger
from corral.sdk.capture.frameworks.model_files import ModelFileBinding

#: where ``train`` is looked up: the package, its module, and the sklearn wrappers' import
TRAIN_FUNCTIONS = ("lightgbm", "lightgbm.engine", "lightgbm.sklearn")

#: LightGBM runs callbacks by ascending ``order``: its own have 10 to 30, the user's
#: ``-len(callbacks)`` to -1 unless they set one; ours runs first
ORDER = -(2**31)


class EvaluationReporter:
    """A LightGBM callback: reports ``env.evaluation_result_list`` after each round."""

    def __init__(self, sink: CaptureSink) -> None:
        self.sink = sink
        self.order = ORDER
        self.before_iteration = False

    def __call__(self, env: Any) -> None:
        try:
            for data, metric, value, *_ in env.evaluation_result_list or ():
                self.sink.report_scalar(str(data), str(metric), float(value), int(env.iteration))
        except Exception:  # reporting must never stop a training
            logger.debug("framework capture: lightgbm evaluation report failed", exc_info=True)


class LightGBMBinding(ModelFileBinding):
    """Patches ``lightgbm.train`` (callback) and ``lightgbm.Booster.save_model``."""

    name = "lightgbm"
    modules = ("lightgbm", "lightgbm.sklearn")
    framework = "lightgbm"
    targets = (("lightgbm", "Booster.save_model"),)
    path_param = "filename"

    def install(self, sink: CaptureSink) -> None:
        """Patch ``save_model`` and every ``train`` of :data:`TRAIN_FUNCTIONS` imported."""
        with self._lock:
            super().install(sink)
            for module in TRAIN_FUNCTIONS:
                if module in sys.modules:
                    # the sklearn wrappers' fit: curves only; its params are the estimator's
                    before = self._fit_train if module == "lightgbm.sklearn" else self._train
                    self.patch_path(module, "train", before=before)

    def _fit_train(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        sink = self.sink
        if sink is None:
            return
        if len(args) > 8:  # callbacks given by position (the 9th parameter): left alone
            return
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or ()), EvaluationReporter(sink)]

    def _train(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._fit_train(args, kwargs)
        sink = self.sink
        if sink is None:
            return
        params = args[0] if args else kwargs.get("params")
        if isinstance(params, dict) and params:
            sink.report_parameters(
                "General", {str(k): list(v) if isinstance(v, set) else v for k, v in params.items()}
            )
