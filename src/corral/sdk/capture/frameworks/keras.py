"""Keras: ``Model.save(path)`` registers the file (or SavedModel folder), framework ``keras``.

Covers Keras 3 (``keras``, which is also ``tf.keras`` from TensorFlow 2.16) and Keras 2
(the ``keras`` package behind ``tf.keras`` before 2.16, or ``tf_keras``). ``Sequential``
and functional models inherit ``Model.save``, so patching ``Model`` covers them.
"""

from __future__ import annotations

from corral.sdk.capture.frameworks.model_files import ModelFileBinding


class KerasBinding(ModelFileBinding):
    """Patches ``keras.Model.save`` and ``tf_keras.Model.save``."""

    name = "keras"
    modules = ("keras", "tf_keras")
    framework = "keras"
    targets = (("keras", "Model.save"), ("tf_keras", "Model.save"))
    path_param = "filepath"
