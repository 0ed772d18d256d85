"""The shared shape of the model-file bindings (torch, joblib, XGBoost, LightGBM, Keras).

Each patches a framework's "save to a file" call and, after it returned, registers the
file as an output model: ``sink.register_output_model(path, framework, name)`` with the
absolute path and the file's stem as name. Only paths count (``str``/``PathLike``); a
save to a file object or buffer is not registered.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from corral.sdk.capture.frameworks.base import Binding, CaptureSink


class ModelFileBinding(Binding):
    """A binding that registers the file a framework's save call wrote as an output model.

    Subclasses name the calls in :attr:`targets` (module, ``"func"`` or ``"Class.method"``)
    and the position/keyword of the target path; the file is registered after the
    original call returned, and only when the target is a path (not a file object).
    """

    framework: ClassVar[str]
    targets: ClassVar[tuple[tuple[str, str], ...]]
    path_param: ClassVar[str]
    path_index: ClassVar[int] = 1

    def install(self, sink: CaptureSink) -> None:
        """Patch each of :attr:`targets` that is imported."""
        with self._lock:
            self.sink = sink
            for module, path in self.targets:
                self.patch_path(module, path, after=self._saved)

    def framework_of(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        """The framework name to register (override to look at the saved value)."""
        return self.framework

    def _saved(self, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        sink = self.sink
        if self.path_param in kwargs:
            target = kwargs[self.path_param]
        elif len(args) > self.path_index:
            target = args[self.path_index]
        else:
            return
        if sink is None or not isinstance(target, (str, os.PathLike)):
            return
        path = os.path.abspath(os.fsdecode(target))
        sink.register_output_model(path, self.framework_of(args, kwargs), Path(path).stem)
