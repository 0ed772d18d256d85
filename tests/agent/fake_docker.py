"""A stand-in ``docker`` for tests: records its argv and runs the container on the host.

``docker run ... IMAGE bash -c PROGRAM`` runs PROGRAM with bash on the host, with the
``-e`` variables (``-e NAME`` takes the value from the stand-in's own environment, as
docker does) and the ``-w`` folder applied; the image and every other option are
only recorded. The docker runner mounts the work folder at the same path, so paths
mean the same as they would in a container. Any other command (``docker kill``) is
recorded and succeeds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FAKE_DOCKER = """#!{python}
import json, os, subprocess, sys

args = sys.argv[1:]
with open({record!r}, "a") as f:
    f.write(json.dumps(args) + "\\n")
if args[0] != "run":
    sys.exit(0)
assert args[-3:-1] == ["bash", "-c"], args
env, cwd, i = dict(os.environ), None, 1
while i < len(args) - 4:  # options, up to the image
    if args[i] == "-e":
        name, sep, value = args[i + 1].partition("=")
        env[name] = value if sep else os.environ[name]
        i += 2
    elif args[i] == "-w":
        cwd = args[i + 1]
        i += 2
    else:
        i += 1
sys.exit(subprocess.run(["bash", "-c", args[-1]], cwd=cwd, env=env).returncode)
"""


def install_fake_docker(bin_dir: Path) -> Path:
    """Write the stand-in as ``bin_dir/docker``; the file it records its calls in.

    Put ``bin_dir`` first on ``PATH`` to use it.
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    record = bin_dir.parent / "docker-calls.jsonl"
    fake = bin_dir / "docker"
    fake.write_text(FAKE_DOCKER.format(python=sys.executable, record=str(record)))
    fake.chmod(0o755)
    return record


def docker_calls(record: Path) -> list[list[str]]:
    """The argv (without ``docker``) of every call so far."""
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines()]
