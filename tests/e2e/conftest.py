"""Whole flows: a real hub, agents as ``python -m corral agent`` processes, real scripts.

``start_agent`` starts an agent (``--plain`` unless told otherwise) with a HOME and an
agent root of its own and a fast heartbeat, waits until its worker is registered,
and stops it (SIGTERM, then SIGKILL) at the end of the test. ``queue`` is a queue of
the test's own, so that agents of other tests never take its tasks. Waiting is
always "until this holds, or fail after a generous deadline": no test asserts on time.
"""

from __future__ import annotations

import stat
import sys
import textwrap
from pathlib import Path

import pytest

from tests.agents import queue, start_agent  # noqa: F401  (fixtures of the tests here)


@pytest.fixture
def fake_docker(tmp_path: Path) -> tuple[Path, Path]:
    """A ``docker`` on PATH that records its argv and runs ``bash -c CMD`` on the host.

    The "container" is the host: ``-e`` variables become the command's environment,
    and the agent's own site-packages are added to ``PYTHONPATH``, as an image that
    has corral's dependencies already would (pip then installs nothing).
    Returns (the folder to put first on PATH, the file of recorded argv lines).
    """
    folder = tmp_path / "fake-docker-bin"
    folder.mkdir()
    record = tmp_path / "docker-argv.jsonl"
    site = next(p for p in sys.path if p.endswith("site-packages"))
    program = f"""\
        #!{sys.executable}
        import json, os, sys
        argv = sys.argv[1:]
        with open({str(record)!r}, "a") as f:
            f.write(json.dumps(argv) + "\\n")
        if not argv or argv[0] != "run":
            sys.exit(0)  # docker kill / version...: nothing to do on the host
        env = {{k: v for k, v in os.environ.items() if not k.startswith("CORRAL_")}}
        i = argv.index("bash")
        args = argv[1:i]
        for j, arg in enumerate(args):
            if arg == "-e":
                key, eq, value = args[j + 1].partition("=")
                env[key] = value if eq else os.environ.get(key, "")
            elif arg == "-w":
                os.chdir(args[j + 1])
        env["PYTHONPATH"] = env.get("PYTHONPATH", "") + os.pathsep + {site!r}
        os.execvpe("bash", argv[i:], env)
        """
    exe = folder / "docker"
    exe.write_text(textwrap.dedent(program))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder, record
