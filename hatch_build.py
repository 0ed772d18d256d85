"""Build hook: a wheel carries the built web UI (``web/`` -> ``src/corral/server/static``).

A wheel built from a checkout or an sdist runs ``scripts/build-ui`` (Node.js and npm
needed) unless the built UI is already up to date. ``CORRAL_SKIP_UI=1`` builds a wheel
without the UI (the hub then serves a page that says so). Editable installs skip the
hook: ``scripts/server`` and ``scripts/test`` build the UI themselves.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class WebUIBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        if os.environ.get("CORRAL_SKIP_UI"):
            self.app.display_warning("CORRAL_SKIP_UI is set: the wheel has no web UI")
            return
        root = Path(self.root)
        script = root / "scripts" / "build-ui"
        if (root / "web" / "package.json").is_file() and script.is_file():
            subprocess.run(["bash", str(script)], cwd=root, check=True)
        if not (root / "src/corral/server/static/index.html").is_file():
            raise RuntimeError(
                "the web UI is not built: install Node.js 20+ and npm, or set CORRAL_SKIP_UI=1"
            )
