"""Keep ``import httpx`` light.

httpx's package imports its command-line client at import time when ``click`` and
``rich`` are installed (they are: our CLI uses them), which pulls in click, rich and
pygments - about a third of a second on a small machine, paid by every
``Task.init``. Corral never uses that client, so, when httpx is not imported yet, a
stand-in ``httpx._main`` is registered whose ``main`` loads the real one on first use.
"""

from __future__ import annotations

import sys
import types
from typing import Any


def _main(*args: Any, **kwargs: Any) -> Any:
    sys.modules.pop("httpx._main", None)
    from httpx._main import main

    return main(*args, **kwargs)


if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
    _stub = types.ModuleType("httpx._main")
    _stub.main = _main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = _stub
