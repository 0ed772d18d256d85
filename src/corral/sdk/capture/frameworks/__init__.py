"""Framework auto-capture: what ``Task.init(auto_connect_frameworks=...)`` switches on.

Each framework has a :class:`Binding` (TensorBoard writers, matplotlib, ``torch.save``,
``joblib.dump``, XGBoost, LightGBM, Keras) that patches a few calls and reports them to
a :class:`CaptureSink`. :func:`install` installs the enabled ones: at once for a
framework already imported, otherwise from an import hook when the script imports it.
Importing this package imports no framework.

Example:
    >>> installed = install(sink, {"matplotlib": False})  # doctest: +SKIP
    >>> ...                                               # the script runs; calls are reported
    >>> installed.uninstall()                             # every original is back
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping

from corral.sdk.capture.frameworks.base import (
    BINDINGS,
    Binding,
    CaptureSink,
    load_binding,
    logger,
    paused,
)
from corral.sdk.capture.frameworks.hook import ImportWatcher
from corral.sdk.capture.frameworks.model_files import ModelFileBinding

__all__ = [
    "BINDINGS",
    "Binding",
    "CaptureSink",
    "Installed",
    "ModelFileBinding",
    "enabled_bindings",
    "install",
    "paused",
]

_lock = threading.RLock()
_active: Installed | None = None


def enabled_bindings(frameworks: bool | Mapping[str, bool] = True) -> list[str]:
    """The binding names ``frameworks`` switches on, with ClearML's semantics.

    ``True``: all; ``False``: none; a mapping switches single bindings, and a name it
    does not mention stays on. Unknown names are ignored (ClearML scripts name
    frameworks Corral has no binding for, e.g. ``"fastai"``).
    """
    if isinstance(frameworks, bool):
        return list(BINDINGS) if frameworks else []
    unknown = set(frameworks) - set(BINDINGS)
    if unknown:
        logger.debug("auto_connect_frameworks: no binding for %s", sorted(unknown))
    return [name for name in BINDINGS if frameworks.get(name, True)]


class Installed:
    """The bindings installed by :func:`install`; :meth:`uninstall` undoes all of it."""

    def __init__(self, sink: CaptureSink, names: list[str]) -> None:
        self.sink = sink
        self.bindings: dict[str, Binding] = {name: load_binding(name) for name in names}
        self._watcher = ImportWatcher(self._module_loaded)
        # Serialises hook callbacks (any importing thread) with uninstall(), so a binding
        # cannot be installed after it was uninstalled. Never held while importing.
        self._lock = threading.RLock()
        self._closed = False
        self._by_module: dict[str, list[Binding]] = {}
        for binding in self.bindings.values():
            for module in binding.modules:
                self._by_module.setdefault(module, []).append(binding)

    def _start(self) -> None:
        # The hook goes in first, then sys.modules is looked at: a module imported by
        # another thread in between is caught by one or the other (install is idempotent).
        waiting = [m for m in self._by_module if m not in sys.modules]
        self._watcher.watch(waiting)
        if waiting:
            self._watcher.attach()
        for module in self._by_module:
            if module in sys.modules:
                self._module_loaded(module)

    def _module_loaded(self, module: str) -> None:
        with self._lock:
            if not self._closed:
                self._install_for(module)

    def _install_for(self, module: str) -> None:
        for binding in self._by_module.get(module, ()):
            try:
                binding.install(self.sink)
            except Exception:
                logger.debug("framework capture: installing %s failed", binding.name, exc_info=True)

    @property
    def installed(self) -> list[str]:
        """Names of the bindings that have patched something."""
        return [name for name, binding in self.bindings.items() if binding.installed]

    @property
    def pending(self) -> frozenset[str]:
        """Modules whose import will install a binding."""
        return self._watcher.watched

    def uninstall(self) -> None:
        """Remove the import hook and restore every patched original (idempotent)."""
        global _active
        with _lock, self._lock:
            self._closed = True
            self._watcher.close()
            for binding in reversed(self.bindings.values()):
                try:
                    binding.uninstall()
                except Exception:
                    logger.debug(
                        "framework capture: uninstalling %s failed", binding.name, exc_info=True
                    )
            if _active is self:
                _active = None


def install(sink: CaptureSink, frameworks: bool | Mapping[str, bool] = True) -> Installed:
    """Install the framework bindings ``frameworks`` enables, reporting to ``sink``.

    A process has one installation: installing again first uninstalls the previous one
    (so nothing is patched twice, and the latest sink gets the reports).

    Args:
        sink: receives the captured scalars, images, plots and model files.
        frameworks: ``True`` (all), ``False`` (none) or ``{"matplotlib": False, ...}``
            (names of :data:`BINDINGS`; a name not given is on).

    Example:
        >>> installed = install(sink, {"tensorboard": True, "pytorch": False})  # doctest: +SKIP
    """
    global _active
    with _lock:
        if _active is not None:
            _active.uninstall()
        installed = Installed(sink, enabled_bindings(frameworks))
        installed._start()
        _active = installed
        return installed
