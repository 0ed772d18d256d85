"""The contract of a framework binding, and the patching machinery every binding shares.

A *binding* hooks one framework's calls (``SummaryWriter.add_scalar``, ``torch.save``...)
and reports them to a :class:`CaptureSink`, the narrow face of the SDK that receives
scalars, images, plots and model files. Bindings are listed by dotted path in
:data:`BINDINGS` and imported only when enabled, so importing this package never
imports a framework.

Every patch made through :meth:`Binding.patch` follows the same rules:

* the wrapper keeps the original's name, docstring and signature (``functools.wraps``);
* the original is always called, with the user's arguments, and its return value or
  exception passes through unchanged;
* reporting happens inside ``try``: a failure there is logged at debug level on the
  ``corral.sdk`` logger and never reaches the user's code;
* a thread-local guard makes nested patched calls plain calls, so a call reported by one
  binding (``XGBModel.save_model`` calling ``Booster.save_model``, our own ``savefig``
  while a sink renders a figure) is reported once;
* :meth:`Binding.uninstall` puts back the exact original objects;
* the wrapper's frame is hidden from ``stacklevel`` (see :func:`hide_from_warnings`): a
  warning the framework issues about its caller points at the user's line, as it would
  without the patch, not at this file.
"""

from __future__ import annotations

import functools
import importlib
import linecache
import logging
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import CodeType
from typing import Any, ClassVar, Protocol, TypeVar

logger = logging.getLogger("corral.sdk")

BINDINGS: dict[str, str] = {
    "tensorboard": "corral.sdk.capture.frameworks.tensorboard:TensorBoardBinding",
    "matplotlib": "corral.sdk.capture.frameworks.matplotlib:MatplotlibBinding",
    "pytorch": "corral.sdk.capture.frameworks.torch:TorchBinding",
    "joblib": "corral.sdk.capture.frameworks.joblib:JoblibBinding",
    "xgboost": "corral.sdk.capture.frameworks.xgboost:XGBoostBinding",
    "lightgbm": "corral.sdk.capture.frameworks.lightgbm:LightGBMBinding",
    "keras": "corral.sdk.capture.frameworks.keras:KerasBinding",
}
"""Binding name (the key of ``auto_connect_frameworks``) -> ``"module:Class"``."""

Before = Callable[[tuple[Any, ...], dict[str, Any]], None]
After = Callable[[Any, tuple[Any, ...], dict[str, Any]], None]

_MISSING = object()
_MARK = "__corral_capture__"
_guard = threading.local()

F = TypeVar("F", bound=Callable[..., Any])

#: appended to the file name of a hidden frame; ``warnings`` and ``logging`` skip frames
#: whose file name contains both "importlib" and "_bootstrap" (CPython's import machinery)
#: when they walk ``stacklevel`` frames up, and so they skip ours
HIDDEN_SUFFIX = " (a patched call's frame, skipped by warnings like importlib._bootstrap's)"


def hide_from_warnings(func: F) -> F:
    """Hide the frames of ``func`` (and of functions defined in it) from ``stacklevel``.

    ``warnings.warn(stacklevel=...)`` and ``logging``'s ``stacklevel`` skip them. A
    framework that warns about its caller (``stacklevel=2``, matplotlib's
    ``warn_external``) would otherwise name the wrapper standing between it and the
    user's code. The frames keep their line numbers; tracebacks formatted by the
    ``traceback`` module (logging, pytest, IPython) show their source lines through
    ``linecache``, the interpreter's own last-resort printout shows only file and line.
    """
    func.__code__ = _hidden(func.__code__, func.__globals__)
    return func


def _hidden(code: CodeType, module_globals: dict[str, Any]) -> CodeType:
    if code.co_filename.endswith(HIDDEN_SUFFIX):
        return code
    name = code.co_filename + HIDDEN_SUFFIX
    linecache.lazycache(name, module_globals)  # the source of the module, on demand
    consts = tuple(
        _hidden(c, module_globals) if isinstance(c, CodeType) else c for c in code.co_consts
    )
    return code.replace(co_filename=name, co_consts=consts)


class CaptureSink(Protocol):
    """Where captured calls go; the SDK implements it (a task's logger and models)."""

    def report_scalar(self, title: str, series: str, value: float, iteration: int) -> None: ...

    def report_image(self, title: str, series: str, iteration: int, image: Any) -> None:
        """``image``: a numpy HWC/HW array (uint8), or a PIL image."""

    def report_histogram(self, title: str, series: str, iteration: int, values: Any) -> None:
        """``values``: the 1-D bin heights."""

    def report_matplotlib_figure(
        self, title: str, series: str, iteration: int, figure: Any
    ) -> None: ...

    def report_text(self, text: str) -> None: ...

    def report_parameters(self, section: str, values: dict[str, Any]) -> None:
        """Record ``values`` as the task's parameters ``section/name`` (merged)."""

    def register_output_model(self, path: str, framework: str, name: str | None = None) -> None: ...


def _depth() -> int:
    depth: int = getattr(_guard, "depth", 0)
    return depth


@contextmanager
def paused() -> Iterator[None]:
    """Within the block, patched calls on this thread are plain calls (nothing is reported).

    The SDK uses it around its own framework calls, e.g. rendering a figure with
    ``savefig`` or saving a model it uploads itself.

    Example:
        >>> with paused():
        ...     figure.savefig(buffer, format="png")  # doctest: +SKIP
    """
    _guard.depth = _depth() + 1
    try:
        yield
    finally:
        _guard.depth -= 1


def _report(hook: Callable[..., None], *args: Any) -> None:
    try:
        hook(*args)
    except Exception:
        logger.debug("framework capture: %r failed", hook, exc_info=True)


@dataclass(eq=False)
class _Patch:
    owner: Any
    attr: str
    raw: Any  # what ``vars(owner)`` held (``_MISSING`` when the attribute was inherited)
    wrapper: Any
    active: bool = True

    def restore(self) -> None:
        self.active = False  # a wrapper someone else still holds becomes a plain call
        if vars(self.owner).get(self.attr, _MISSING) is not self.wrapper:
            logger.debug("framework capture: %s was re-patched by someone else", self.attr)
        elif self.raw is _MISSING:
            delattr(self.owner, self.attr)
        else:
            setattr(self.owner, self.attr, self.raw)


@hide_from_warnings
def _wrap(
    patch: _Patch, original: Callable[..., Any], before: Before | None, after: After | None
) -> Any:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not patch.active or _depth():
            return original(*args, **kwargs)
        _guard.depth = _depth() + 1
        try:
            if before is not None:
                _report(before, args, kwargs)
            result = original(*args, **kwargs)
            if after is not None:
                _report(after, result, args, kwargs)
            return result
        finally:
            _guard.depth -= 1

    setattr(wrapper, _MARK, True)
    return wrapper


class Binding(ABC):
    """One framework's auto-capture: patched on :meth:`install`, restored on :meth:`uninstall`.

    Contract: ``install`` is called once one of :attr:`modules` has been imported, and
    again each time another of them is; it patches what is importable now and skips what
    it already patched, looking modules up in ``sys.modules`` only (it never imports, so it
    is safe to call from an import hook). ``uninstall`` restores every original exactly.

    Example:
        >>> class Mine(Binding):
        ...     name, modules = "mine", ("mylib",)
        ...     def install(self, sink):
        ...         self.sink = sink
        ...         self.patch(sys.modules["mylib"], "save", after=self._saved)
    """

    name: ClassVar[str]
    modules: ClassVar[tuple[str, ...]]

    def __init__(self) -> None:
        self.sink: CaptureSink | None = None
        self._patches: list[_Patch] = []
        self._lock = threading.RLock()

    @abstractmethod
    def install(self, sink: CaptureSink) -> None:
        """Patch whatever of the framework is imported now (idempotent)."""

    def uninstall(self) -> None:
        """Restore every patched attribute to its original object."""
        with self._lock:
            while self._patches:
                self._patches.pop().restore()
            self.sink = None

    @property
    def installed(self) -> bool:
        """Whether at least one attribute is patched."""
        return bool(self._patches)

    def patch(
        self, owner: Any, attr: str, *, before: Before | None = None, after: After | None = None
    ) -> None:
        """Wrap ``owner.attr`` (a module function or a class's method), once.

        ``before(args, kwargs)`` runs before the original, ``after(result, args, kwargs)``
        after it returned; both only for the outermost patched call of the thread.
        """
        with self._lock:
            if any(p.owner is owner and p.attr == attr for p in self._patches):
                return
            original = getattr(owner, attr)
            if getattr(original, _MARK, False):  # patched by another live binding instance
                return
            patch = _Patch(owner, attr, raw=vars(owner).get(attr, _MISSING), wrapper=None)
            patch.wrapper = _wrap(patch, original, before, after)
            setattr(owner, attr, patch.wrapper)
            self._patches.append(patch)

    def patch_path(
        self, module: str, path: str, *, before: Before | None = None, after: After | None = None
    ) -> None:
        """:meth:`patch` ``module``'s ``"func"`` or ``"Class.method"``, if it is imported."""
        owner: Any = sys.modules.get(module)
        *parents, attr = path.split(".")
        for part in parents:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, attr):
            logger.debug("framework capture: %s.%s not found", module, path)
            return
        self.patch(owner, attr, before=before, after=after)


def load_binding(name: str) -> Binding:
    """Import the binding registered as ``name`` in :data:`BINDINGS` and instantiate it."""
    module, _, cls = BINDINGS[name].partition(":")
    binding: Binding = getattr(importlib.import_module(module), cls)()
    return binding
