"""Command-line arguments as parameters: argparse, click, Python Fire and Hydra.

:func:`install` runs when ``corral.Task`` is imported, so that a script that parses its
command line before ``Task.init`` is captured too (click, Fire and Hydra apps usually
call ``Task.init`` inside the command). argparse is wrapped at once (it is in the
standard library); click, Fire and Hydra when they are imported - at once if they
already are, else from an import hook - so importing corral imports none of them.

Each parser has a module of its own:

* :mod:`~corral.sdk.capture.argparse_args`: ``Args/<dest>``;
* :mod:`~corral.sdk.capture.click_args`: ``Args/<param>``, or for a group
  ``Args/<command>`` (``click.Command``) and ``Args/<command>/<param>``;
* :mod:`~corral.sdk.capture.fire_args`: ``Args/<arg>``, or ``Args/<command>``
  (``fire.Command``) and ``Args/<command>/<arg>``;
* :mod:`~corral.sdk.capture.hydra_args`: the ``OmegaConf`` configuration and the
  overrides as ``Hydra/<key>``.

:func:`attach` (``Task.init``) makes them report what they parsed to the task; under an
agent, each gives the script the stored - perhaps edited - values instead of the
command line's (which is empty: the agent runs the entry script without arguments).

Example:
    >>> install()                          # doctest: +SKIP  (corral.sdk.task does it)
    >>> attach(handle, remote=False)       # doctest: +SKIP  (Task.init does it)
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from corral.sdk.capture import argparse_args, cli_state, click_args, fire_args, hydra_args
from corral.sdk.capture.frameworks.hook import ImportWatcher
from corral.sdk.handle import RunHandle

#: module whose import installs a capture -> that capture's ``install``
_BY_MODULE: dict[str, Callable[[], None]] = {
    "click": click_args.install,
    "fire.core": fire_args.install,
    "hydra._internal.hydra": hydra_args.install,
}

_lock = threading.Lock()
_watcher: ImportWatcher | None = None


def install() -> None:
    """Wrap argparse now, and click, Fire and Hydra once imported (idempotent)."""
    global _watcher
    argparse_args.install()
    with _lock:
        if _watcher is None:
            _watcher = ImportWatcher(_loaded)
            # the hook goes in first, then sys.modules is looked at: an import on another
            # thread in between is caught by one or the other (each install is idempotent)
            waiting = [name for name in _BY_MODULE if name not in sys.modules]
            _watcher.watch(waiting)
            if waiting:
                _watcher.attach()
    for name, install_one in _BY_MODULE.items():
        if name in sys.modules:
            install_one()


def _loaded(name: str) -> None:
    _BY_MODULE[name]()


def uninstall() -> None:
    """Remove the import hook and every wrapper."""
    global _watcher
    with _lock:
        watcher, _watcher = _watcher, None
    if watcher is not None:
        watcher.close()
    argparse_args.uninstall()
    click_args.uninstall()
    fire_args.uninstall()
    hydra_args.uninstall()


def attach(handle: RunHandle, remote: bool) -> None:
    """Report parses to ``handle``'s task; with ``remote`` (an agent), apply its stored values.

    What was parsed before the call is reported (and, for argparse, overridden) now.
    """
    cli_state.attach(handle, remote)
    argparse_args.attached()
    click_args.attached()
    fire_args.attached()
    hydra_args.attached()


def detach() -> None:
    """Stop reporting (the run ended)."""
    cli_state.detach()
