"""The ``docker`` runner: the task runs in a container of its image (or the agent's default).

The code is restored on the host and the work folder is mounted at the same path
in the container, so every path means the same inside and out. The agent's corral
(its overlay and the package folder the overlay links to) is mounted read-only
and put on ``PYTHONPATH``. Inside, a virtual environment *with the image's site
packages* receives only what the image lacks, then the task starts::

    docker run --rm --name corral-<task> --network host -w <cwd> -v ... -e ...
        [--gpus ...] <task's container arguments> <agent's docker args> <image>
        bash -c "<setup script>; python3 -m venv ...; pip install ...; exec python ..."

The freeze is written by the container to ``<workdir>/freeze.txt``; the daemon
reads it when the process has ended (``Launch.freeze_file``). Secrets reach the
container by name only (``-e CORRAL_SECRET_KEY``): their values travel in the
environment of the ``docker`` process, never on a command line. The only
credential that reaches the container is the task's token: nothing of the host's
environment or files but the work folder and corral's own (read-only) goes in.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
from pathlib import Path

from corral.agent import corral_dist
from corral.agent.runners.base import Job, Launch, PrepareError, Runner, without_agent_credentials
from corral.agent.runners.code import restore_code
from corral.agent.runners.plain import task_env
from corral.system.gpu import gpu_indices

__all__ = ["DockerRunner", "host_has_nvidia_gpus", "is_secret"]

#: environment variable names whose values never appear in ``docker run``'s argv
_SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN")


def is_secret(name: str) -> bool:
    """Whether the variable ``name`` holds a credential (passed by name only)."""
    upper = name.upper()
    return any(word in upper for word in _SECRET_WORDS)


@functools.cache
def host_has_nvidia_gpus() -> bool:
    """Whether this machine has an NVIDIA GPU (NVML, else ``nvidia-smi -L``)."""
    if gpu_indices():
        return True
    # no module, no driver: ask the command line tool
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    try:
        proc = subprocess.run([smi, "-L"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and b"GPU" in proc.stdout


class DockerRunner(Runner):
    """Runs the task with ``docker run`` in its image.

    Example:
        >>> options = AgentOptions(root=root, docker_image="python:3.12")  # doctest: +SKIP
        >>> DockerRunner(options).prepare(job).argv[:3]
        ['docker', 'run', '--rm']
    """

    name = "docker"

    def prepare(self, job: Job) -> Launch:
        """Restore the code on the host; return the ``docker run`` that installs and runs."""
        container = job.container
        image = str(container.get("image") or "").strip() or self.options.docker_image
        if not image:
            raise PrepareError(
                "the task names no image and the agent has no default: start it with --docker IMAGE"
            )
        try:
            task_args = shlex.split(str(container.get("arguments") or ""))
        except ValueError as e:
            raise PrepareError(f"the task's container arguments do not parse: {e}") from None
        cwd, tail = restore_code(job, self.options.root)
        workdir = job.workdir.resolve()
        overlay = corral_dist.overlay_dir(self.options.root).resolve()
        requirements = job.script.get("requirements") or {}
        pip_text = requirements if isinstance(requirements, str) else requirements.get("pip", "")
        lines = corral_dist.with_corral(str(pip_text or ""))
        (workdir / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        setup = str(container.get("setup_script") or "")
        if setup.strip():
            (workdir / "setup.sh").write_text(setup, encoding="utf-8")
        pip_cache = self.options.root / "cache" / "pip"
        # created here so that docker does not create it owned by root
        pip_cache.mkdir(parents=True, exist_ok=True)

        name = f"corral-{job.task_id}"
        argv = ["docker", "run", "--rm", "--name", name, "--network", "host", "-w", str(cwd)]
        package = corral_dist.package_dir()
        argv += ["-v", f"{workdir}:{workdir}"]
        argv += ["-v", f"{overlay}:{overlay}:ro", "-v", f"{package}:{package}:ro"]
        argv += ["-v", f"{pip_cache.resolve()}:/root/.cache/pip"]
        datasets = job.hub_env.get("CORRAL_DATASET_CACHE")
        if datasets:  # the machine's datasets cache, at the same path (the variable says it)
            argv += ["-v", f"{datasets}:{datasets}"]

        # the docker command itself does not need the agent's credentials either
        docker_env = without_agent_credentials(os.environ)
        for key, value in self._container_env(job, overlay).items():
            if is_secret(key):
                argv += ["-e", key]
                docker_env[key] = value
            else:
                argv += ["-e", f"{key}={value}"]
        gpus = self.options.gpus
        if gpus:
            argv += ["--gpus", f'"device={",".join(gpus)}"']
        elif gpus is None and host_has_nvidia_gpus():
            argv += ["--gpus", "all"]
        argv += task_args
        argv += self.options.docker_args
        argv += [image, "bash", "-c", _inner_script(workdir, tail, bool(setup.strip()))]
        job.log(f"corral-agent: running in docker image {image}")
        return Launch(
            argv=argv,
            cwd=cwd,
            env=docker_env,
            freeze_file=workdir / "freeze.txt",
            on_abort=functools.partial(_docker_kill, name),
        )

    def _container_env(self, job: Job, overlay: Path) -> dict[str, str]:
        """What the task's process sees: the hub's variables and corral's, nothing of the host's
        (its paths and settings mean nothing in the image)."""
        full = task_env(job, self.options, base={})
        # the container numbers the GPUs it was given from 0: the host's indices are wrong there
        full.pop("CUDA_VISIBLE_DEVICES", None)
        full["PYTHONPATH"] = str(overlay)
        return full


def _inner_script(workdir: Path, tail: list[str], has_setup: bool) -> str:
    """The ``bash -c`` program run in the container (every path quoted)."""
    q = shlex.quote
    venv = workdir / "venv"
    python = q(str(venv / "bin" / "python"))
    lines = ["set -e"]
    if has_setup:
        lines.append(f"bash {q(str(workdir / 'setup.sh'))}")
    lines += [
        "command -v python3 >/dev/null || "
        "{ echo 'corral-agent: the image has no python3; use an image with Python' >&2; exit 127; }",
        f"python3 -m venv --system-site-packages {q(str(venv))} || "
        "{ echo 'corral-agent: the image cannot create a virtual environment "
        "(install python3-venv in it, or in the task setup script)' >&2; exit 1; }",
        f"{python} -m pip install --disable-pip-version-check "
        f"-r {q(str(workdir / 'requirements.txt'))}",
        f"{python} -m pip freeze --disable-pip-version-check > {q(str(workdir / 'freeze.txt'))}",
        "exec " + " ".join([python, *(q(t) for t in tail)]),
    ]
    return "\n".join(lines) + "\n"


def _docker_kill(name: str) -> None:
    """Stop the container now (``docker run`` alone may not forward the signal)."""
    try:
        subprocess.run(
            ["docker", "kill", name],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        pass
