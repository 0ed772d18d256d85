"""A post-import hook: call back when a watched module has finished loading.

:class:`ImportWatcher` is a ``sys.meta_path`` finder placed first. For a watched name it
asks the finders after it for the spec (so it never changes *which* module is found),
and swaps the spec's loader for a thin proxy whose ``exec_module`` runs the real one
and then calls back. The proxy hands the module back to the real loader before
executing it, so ``module.__loader__`` and ``module.__spec__.loader`` are the real
loader afterwards. Anything unexpected makes the watcher step aside (``None``): the
import proceeds as if it were not there, and import errors surface unchanged.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

from corral.sdk.capture.frameworks.base import hide_from_warnings, logger


class _NotifyingLoader(Loader):
    """Runs the real loader, then tells the watcher the module is loaded."""

    def __init__(self, loader: Any, spec: ModuleSpec, watcher: ImportWatcher) -> None:
        self._loader = loader
        self._spec = spec
        self._watcher = watcher

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    @hide_from_warnings  # a module's import-time warning names the user's import line
    def exec_module(self, module: ModuleType) -> None:
        self._spec.loader = self._loader
        module.__loader__ = self._loader
        self._loader.exec_module(module)
        self._watcher.loaded(self._spec.name, module)

    def __getattr__(self, name: str) -> Any:  # get_code, get_resource_reader, is_package...
        return getattr(self._loader, name)


class ImportWatcher(MetaPathFinder):
    """Calls ``callback(name)`` after each watched module is imported (once per name).

    Thread-safe: the watched set changes under a lock; the callback runs on the importing
    thread, after the module's code ran, while it is still in ``sys.modules``.
    """

    def __init__(self, callback: Callable[[str], None]) -> None:
        self._callback = callback
        self._watched: set[str] = set()
        self._lock = threading.Lock()
        self._local = threading.local()  # names this thread is resolving (no recursion)
        self._closed = False

    def watch(self, names: Iterable[str]) -> None:
        """Add module names to watch."""
        with self._lock:
            self._watched.update(names)

    @property
    def watched(self) -> frozenset[str]:
        """The names still waiting to be imported."""
        with self._lock:
            return frozenset(self._watched)

    def attach(self) -> None:
        """Put the watcher first on ``sys.meta_path`` (once)."""
        with self._lock:
            if self not in sys.meta_path:
                sys.meta_path.insert(0, self)

    def close(self) -> None:
        """Leave ``sys.meta_path``; loaders already handed out stop calling back."""
        with self._lock:
            self._closed = True
            self._watched.clear()
            while self in sys.meta_path:
                sys.meta_path.remove(self)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """The spec the other finders give for a watched name, with a notifying loader."""
        if fullname not in self._watched:
            return None
        busy: set[str] = self._local.__dict__.setdefault("busy", set())
        if fullname in busy:
            return None
        busy.add(fullname)
        try:
            spec = self._find_elsewhere(fullname, path, target)
        except Exception:  # the other finders will raise it again, as without us
            return None
        finally:
            busy.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _NotifyingLoader(spec.loader, spec, self)
        return spec

    def _find_elsewhere(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None
    ) -> ModuleSpec | None:
        for finder in list(sys.meta_path):
            if finder is self:
                continue
            find_spec = getattr(finder, "find_spec", None)
            if find_spec is None:
                continue
            spec: ModuleSpec | None = find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return None

    def loaded(self, name: str, module: ModuleType) -> None:
        """Called by the loader proxy once ``module`` (named ``name``) has run."""
        with self._lock:
            # A spec fetched only to look (``importlib.util.find_spec``) and executed by
            # hand never reaches sys.modules: keep waiting for the real import.
            if self._closed or name not in self._watched or sys.modules.get(name) is not module:
                return
            self._watched.discard(name)
        try:
            self._callback(name)
        except Exception:
            logger.debug("framework capture: installing for %s failed", name, exc_info=True)
