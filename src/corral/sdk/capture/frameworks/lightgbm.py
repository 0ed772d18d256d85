"""LightGBM: ``Booster.save_model(path)`` registers the file (framework ``lightgbm``).

The scikit-learn wrappers save through their ``booster_``, so they are covered too.
"""

from __future__ import annotations

from corral.sdk.capture.frameworks.model_files import ModelFileBinding


class LightGBMBinding(ModelFileBinding):
    """Patches ``lightgbm.Booster.save_model``."""

    name = "lightgbm"
    modules = ("lightgbm",)
    framework = "lightgbm"
    targets = (("lightgbm", "Booster.save_model"),)
    path_param = "filename"
