"""joblib: ``joblib.dump(value, path)`` registers the file as an output model.

The framework is ``scikit-learn`` when the dumped value's class comes from ``sklearn``,
``joblib`` otherwise. Dumps to a file object are not registered.
"""

from __future__ import annotations

from typing import Any

from corral.sdk.capture.frameworks.model_files import ModelFileBinding


class JoblibBinding(ModelFileBinding):
    """Patches ``joblib.dump`` (and ``joblib.numpy_pickle.dump``, where it is defined)."""

    name = "joblib"
    modules = ("joblib",)
    framework = "joblib"
    targets = (("joblib", "dump"), ("joblib.numpy_pickle", "dump"))
    path_param = "filename"

    def framework_of(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        """``scikit-learn`` for an sklearn estimator, else ``joblib``."""
        value = kwargs["value"] if "value" in kwargs else args[0]
        module = type(value).__module__ or ""
        return "scikit-learn" if module.split(".")[0] == "sklearn" else "joblib"
