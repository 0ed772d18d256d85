"""The ``venv`` runner (default): a cached virtual environment built with uv.

An environment is keyed by a hash of (the python, the task's requirements minus
corral plus corral's runtime requirements, which corral) and lives in
``<root>/venvs/<key[:16]>``. It is built in place under an ``flock`` and marked
complete by a ``.ready`` file written last, so agents on one machine share
environments and a half-built one (an agent killed mid-install) is built again.

A cache hit touches nothing but a few files: a repeated task starts in about a
second. The corral the task imports is the agent's own, through the overlay of
:mod:`corral.agent.corral_dist`.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from corral.agent import corral_dist
from corral.agent.runners.base import Job, Launch, PrepareError, Runner, without_agent_credentials
from corral.agent.runners.code import file_lock, restore_code
from corral.agent.runners.plain import task_env
from corral.system.packages import normalize_name

__all__ = ["VenvRunner", "find_uv"]

READY = ".ready"
FREEZE = "freeze.txt"


def find_uv() -> str:
    """The uv executable: the ``uv`` package's binary, else ``uv`` on ``PATH``."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found is None:
        raise PrepareError(
            "uv is needed for venv mode: pip install uv, or run the agent with --plain/--docker"
        )
    return found


@functools.cache
def _python_identity(python: str) -> str:
    """Version and real executable of ``python`` (a path, a name on PATH or a uv request)."""
    probe = "import os, sys; print(sys.version); print(os.path.realpath(sys.executable))"
    if not python:
        return f"{sys.version}\n{os.path.realpath(sys.executable)}"
    exe = shutil.which(python)
    if exe is None:
        return python  # a request for uv such as "3.12": uv resolves it
    try:
        out = subprocess.run(
            [exe, "-c", probe], capture_output=True, text=True, timeout=60, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise PrepareError(f"the agent's python {python!r} does not run: {e}") from None
    return out.strip()


def _normalize_line(line: str) -> str:
    """One requirement line in a canonical form, so equal sets give equal keys."""
    line = re.sub(r"\s+#.*$", "", line).strip()
    line = re.sub(r"\s+", " ", line)
    match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(.*)$", line)
    if match:
        line = normalize_name(match.group(1)) + match.group(2).replace(" ", "")
    return line


def environment_key(python: str, requirements: list[str]) -> str:
    """sha256 of the python, the sorted normalized requirements and the corral identity.

    Example:
        >>> environment_key("", ["six==1.16.0"])[:8]  # doctest: +SKIP
        '9c1e0b7a'
    """
    lines = sorted({_normalize_line(r) for r in requirements if r.strip()})
    blob = "\n".join([_python_identity(python), "", *lines, "", corral_dist.identity()])
    return hashlib.sha256(blob.encode()).hexdigest()


def _site_packages(env_dir: Path) -> Path:
    found = sorted(env_dir.glob("lib/python*/site-packages")) or sorted(
        env_dir.glob("Lib/site-packages")
    )
    if not found:
        raise PrepareError(f"the new environment {env_dir} has no site-packages folder")
    return found[0]


def _last_error(lines: collections.deque[str]) -> str:
    """uv's error and its cause as one line (``error: ...: cause``)."""
    text = [ln.strip() for ln in lines if ln.strip()]
    for i in range(len(text) - 1, -1, -1):
        if text[i].lower().startswith("error:"):
            message = text[i][len("error:") :].strip()
            causes = [
                ln.split(":", 1)[1].strip()
                for ln in text[i + 1 :]
                if ln.lower().startswith(("cause:", "caused by:"))
            ]
            return ": ".join([message, *causes[:1]]) if causes else message
    return text[-1] if text else "uv gave no output"


class VenvRunner(Runner):
    """Runs the task in a uv virtual environment holding its requirements.

    Example:
        >>> launch = VenvRunner(AgentOptions(root=root)).prepare(job)  # doctest: +SKIP
        >>> launch.argv[0]
        '/home/me/.corral/agent/venvs/9c1e0b7a5d3f2e11/bin/python'
    """

    name = "venv"

    def prepare(self, job: Job) -> Launch:
        """Restore the code and get (build or reuse) the environment; return the launch."""
        cwd, tail = restore_code(job, self.options.root)
        requirements = job.script.get("requirements") or {}
        pip_text = requirements if isinstance(requirements, str) else requirements.get("pip", "")
        lines = corral_dist.with_corral(str(pip_text or ""))
        key = environment_key(self.options.python, lines)
        env_dir = self.options.root / "venvs" / key[:16]
        if (env_dir / READY).is_file():
            job.log(f"corral-agent: environment {key[:12]} cached")
            corral_dist.overlay_dir(self.options.root)  # one stat; rebuilt if it was removed
        else:
            with file_lock(self.options.root / "venvs" / f"{key}.lock"):
                if (env_dir / READY).is_file():  # another agent built it while we waited
                    job.log(f"corral-agent: environment {key[:12]} cached")
                else:
                    self._build(job, env_dir, key, lines)
        base = {k: v for k, v in os.environ.items() if k not in _DROPPED}
        env = task_env(job, self.options, base)
        env["VIRTUAL_ENV"] = str(env_dir)
        env["PATH"] = os.pathsep.join([str(env_dir / "bin"), env.get("PATH", os.defpath)])
        freeze = (env_dir / FREEZE).read_text(encoding="utf-8")
        return Launch(
            argv=[str(env_dir / "bin" / "python"), *tail], cwd=cwd, env=env, freeze=freeze
        )

    def _build(self, job: Job, env_dir: Path, key: str, lines: list[str]) -> None:
        uv = find_uv()
        job.log(f"corral-agent: building environment {key[:12]} ({len(lines)} requirements)")
        shutil.rmtree(env_dir, ignore_errors=True)  # a half-built one: start over
        python = self.options.python or sys.executable
        try:
            self._uv(
                job, uv, ["venv", "--python", python, str(env_dir)], "creating the environment"
            )
            reqs = env_dir / "requirements.txt"
            reqs.write_text("\n".join(lines) + "\n", encoding="utf-8")
            py = str(env_dir / "bin" / "python")
            self._uv(
                job,
                uv,
                ["pip", "install", "--python", py, "-r", str(reqs)],
                "installing the task's requirements",
            )
            corral_dist.write_pth(
                _site_packages(env_dir), corral_dist.overlay_dir(self.options.root)
            )
            (env_dir / FREEZE).write_text(self._freeze(uv, py), encoding="utf-8")
            (env_dir / READY).write_text(key + "\n", encoding="utf-8")
        except BaseException:
            # never leave something that looks usable; the next task builds it again
            shutil.rmtree(env_dir, ignore_errors=True)
            raise

    def _uv_env(self) -> dict[str, str]:
        # building a requirement runs its code: it gets no more of the agent than the task
        env = {k: v for k, v in without_agent_credentials(os.environ).items() if k not in _DROPPED}
        env.setdefault("UV_CACHE_DIR", str(self.options.root / "cache" / "uv"))
        env["NO_COLOR"] = "1"  # plain "error:" / "cause:" lines instead of box drawings
        return env

    def _uv(self, job: Job, uv: str, args: list[str], what: str) -> None:
        """Run uv, streaming its output lines to the task's console as they come."""
        tail: collections.deque[str] = collections.deque(maxlen=200)
        # run from the agent root: uv must not pick up a project file from the cwd
        self.options.root.mkdir(parents=True, exist_ok=True)
        with subprocess.Popen(
            [uv, "--no-progress", *args],
            cwd=self.options.root,
            env=self._uv_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                tail.append(line)
                job.log(line.rstrip("\n"))
        if proc.returncode != 0:
            raise PrepareError(f"{what} failed: {_last_error(tail)}")

    def _freeze(self, uv: str, python: str) -> str:
        proc = subprocess.run(
            [uv, "--no-progress", "pip", "freeze", "--python", python],
            cwd=self.options.root,
            env=self._uv_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
        if proc.returncode != 0:
            tail = collections.deque(proc.stderr.splitlines())
            raise PrepareError(f"listing the new environment failed: {_last_error(tail)}")
        freeze = proc.stdout
        # corral comes from the overlay, which uv does not look at: name it all the same
        if not any(corral_dist.is_corral_requirement(ln) for ln in freeze.splitlines()):
            freeze = freeze.rstrip("\n") + f"\ncorral=={corral_dist.version()}\n"
        return freeze.lstrip("\n")


#: variables of the agent's own environment that would leak into the task's python
_DROPPED = frozenset({"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"})
