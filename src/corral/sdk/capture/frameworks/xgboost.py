"""XGBoost: ``Booster.save_model(path)`` and ``XGBModel.save_model(path)`` register the file.

The scikit-learn wrapper's ``save_model`` calls the booster's; the re-entrancy guard makes
that one registration. Framework ``xgboost``.
"""

from __future__ import annotations

from corral.sdk.capture.frameworks.model_files import ModelFileBinding


class XGBoostBinding(ModelFileBinding):
    """Patches ``xgboost.Booster.save_model`` and ``xgboost.XGBModel.save_model``."""

    name = "xgboost"
    modules = ("xgboost",)
    framework = "xgboost"
    targets = (("xgboost", "Booster.save_model"), ("xgboost", "XGBModel.save_model"))
    path_param = "fname"
