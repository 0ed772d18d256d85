"""PyTorch: ``torch.save(obj, path)`` registers the file as an output model (framework ``pytorch``).

Only paths are registered; ``torch.save(obj, buffer)`` to a file object is not.
"""

from __future__ import annotations

from corral.sdk.capture.frameworks.model_files import ModelFileBinding


class TorchBinding(ModelFileBinding):
    """Patches ``torch.save``."""

    name = "pytorch"
    modules = ("torch",)
    framework = "pytorch"
    targets = (("torch", "save"),)
    path_param = "f"
