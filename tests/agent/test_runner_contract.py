"""The runner contract: the same cases run against every runner (venv, docker, plain).

A runner only prepares (``Runner.prepare(job) -> Launch``); the daemon does the rest
the same way for each. So every case here goes the whole way: a task enqueued on the
real hub, taken by an :class:`Agent` running in this process with the runner under
test, and checked through the hub (status, exit code, console, freeze). A new runner
(Kubernetes, a cloud autoscaler) gets these cases by being added to ``RUNNERS``.

Docker is not installed on test machines: the docker runner runs with the stand-in
``docker`` of :mod:`tests.agent.fake_docker`, which runs the container's program on
the host. venv and docker install the task's requirements from PyPI (six, and
corral's own runtime requirements): the first case of each builds, later ones reuse
what is cached.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.agent.daemon import Agent
from corral.agent.runners.base import AgentOptions, get_runner
from corral.agent.settings import AgentSettings
from corral.client.config import HubCredentials
from corral.system.packages import freeze
from corral.testing.hub import Hub, make_hub
from tests import factories as f
from tests.agent.fake_docker import docker_calls, install_fake_docker
from tests.agents import gone, kill_quietly, make_queue, script_task, wait_for, wait_status

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

#: every runner, and whether it installs the task's requirements
RUNNERS = {"venv": True, "docker": True, "plain": False}

#: credentials in the agent's own environment: the task must get the job's instead
AGENT_OWN_KEY = "agent-own-access-key"
AGENT_OWN_SECRET = "agent-own-secret-do-not-pass"

#: a task long enough for an abort to reach it
DEADLINE = 300.0


@dataclass
class Served:
    """A runner under test, served by an in-process agent on a queue of its own."""

    name: str
    queue: str
    agent: Agent
    hub: Hub
    #: where the stand-in docker records its calls (docker only)
    docker_record: Path | None

    @property
    def installs(self) -> bool:
        return RUNNERS[self.name]


@pytest.fixture(scope="module")
def contract_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A SQLite hub of the module's own: runners do not depend on the hub's database, so
    the contract runs once, not once per backend."""
    hub = make_hub(tmp_path_factory.mktemp("contract-hub"), "sqlite")
    hub.start()
    yield hub
    hub.dispose()


@pytest.fixture
def api(contract_hub: Hub) -> Iterator[httpx.Client]:
    """An admin client of the contract's hub."""
    with contract_hub.client() as client:
        yield client


@pytest.fixture(scope="module")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One uv cache for the module, so each package is downloaded once."""
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture(scope="module", params=list(RUNNERS))
def served(
    request: pytest.FixtureRequest,
    contract_hub: Hub,
    tmp_path_factory: pytest.TempPathFactory,
    uv_cache: Path,
) -> Iterator[Served]:
    name, hub = str(request.param), contract_hub
    folder = tmp_path_factory.mktemp(f"runner-{name}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CORRAL_ACCESS_KEY", AGENT_OWN_KEY)
        mp.setenv("CORRAL_SECRET_KEY", AGENT_OWN_SECRET)
        mp.setenv("UV_CACHE_DIR", str(uv_cache))
        record = None
        if name == "docker":
            record = install_fake_docker(folder / "bin")
            mp.setenv("PATH", f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}")
        settings = AgentSettings(root=folder / "agent", heartbeat=0.5, abort_grace=2.0)
        options = AgentOptions(root=settings.root, docker_image="contract/python:3", gpus=[])
        with hub.client() as api:
            queue = make_queue(api)
        agent = Agent(
            settings,
            HubCredentials(hub.url, hub.access_key, hub.secret_key),
            get_runner(name, options),
            worker_id=f.unique(f"contract-{name}"),
            queues=[queue],
        )
        agent.start()
        try:
            yield Served(name, queue, agent, hub, record)
        finally:
            agent.shutdown()


def run_script(
    api: httpx.Client, served: Served, code: str, *statuses: str, **fields: Any
) -> dict[str, Any]:
    """Enqueue a task running ``code`` on the runner's queue; the task once in a status."""
    task = script_task(api, textwrap.dedent(code), served.queue, **fields)
    return wait_status(api, task["id"], *(statuses or ("completed", "failed")), timeout=DEADLINE)


def console_lines(api: httpx.Client, task_id: str) -> list[dict[str, Any]]:
    """Every console line of the task (text and stream), in order."""
    page = f.ok(api.get(f"/tasks/{task_id}/logs", params={"limit": 1000}))
    return list(page["items"])


def reported(api: httpx.Client, task_id: str, prefix: str) -> Any:
    """The JSON a task printed after ``prefix`` on its stdout."""
    for line in console_lines(api, task_id):
        if line["stream"] == "stdout" and line["text"].startswith(prefix):
            return json.loads(line["text"][len(prefix) :])
    raise AssertionError(f"the task printed no {prefix!r} line")


# --- the cases ------------------------------------------------------------------------


def test_output_reaches_the_console_and_exit_0_completes(
    api: httpx.Client, served: Served, tmp_path: Path
) -> None:
    runs = tmp_path / "runs.txt"
    code = f"""
        import sys
        with open({str(runs)!r}, "a") as f:
            f.write("ran\\n")
        print("to stdout")
        print("to stderr", file=sys.stderr)
    """
    done = run_script(api, served, code)

    assert (done["status"], done["exit_code"]) == ("completed", 0)
    lines = [(line["stream"], line["text"]) for line in console_lines(api, done["id"])]
    assert ("stdout", "to stdout") in lines
    assert ("stderr", "to stderr") in lines
    # preparing never runs the task's code: it ran once, in the launch
    assert runs.read_text() == "ran\n"


def test_a_non_zero_exit_code_fails_the_task(api: httpx.Client, served: Served) -> None:
    done = run_script(api, served, "import sys\nprint('bad input')\nsys.exit(3)")

    assert (done["status"], done["status_reason"], done["exit_code"]) == (
        "failed",
        "exit code 3",
        3,
    )
    assert "bad input" in [line["text"] for line in console_lines(api, done["id"])]


ENV_PROBE = """
import json, os
secret = os.environ.get("CORRAL_SECRET_KEY", "")
group = os.getpgid(0)
on_command_line = False
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if os.getpgid(int(pid)) == group:
            with open(f"/proc/{{pid}}/cmdline", "rb") as f:
                on_command_line |= bool(secret) and secret.encode() in f.read()
    except OSError:
        pass
names = ("CORRAL_TASK_ID", "CORRAL_WORKER", "CORRAL_AGENT", "CORRAL_HUB_URL",
         "CORRAL_ACCESS_KEY", "CORRAL_SECRET_KEY", "CORRAL_CONFIG", "PYTHONUNBUFFERED")
import urllib.request
req = urllib.request.Request(
    os.environ["CORRAL_HUB_URL"] + "/api/v1/tasks/" + os.environ["CORRAL_TASK_ID"])
req.add_header("Authorization", "Bearer %s:%s" % (os.environ["CORRAL_ACCESS_KEY"], secret))
with urllib.request.urlopen(req, timeout=30) as r:
    token_reads_its_task = r.status == 200
print("ENV " + json.dumps({{
    **{{name: os.environ.get(name) for name in names}},
    "agent_own_anywhere": any(({own!r} in v or {hub_secret!r} in v) for v in os.environ.values()),
    "secret_on_a_command_line": on_command_line,
    "token_reads_its_task": token_reads_its_task,
    "config_exists": os.path.exists(os.environ["CORRAL_CONFIG"]),
}}))
"""


def test_the_task_gets_its_variables_and_its_own_token(api: httpx.Client, served: Served) -> None:
    probe = ENV_PROBE.format(own=AGENT_OWN_SECRET, hub_secret=served.hub.secret_key)
    done = run_script(api, served, probe)
    assert done["status"] == "completed"

    env = reported(api, done["id"], "ENV ")
    assert env["CORRAL_TASK_ID"] == done["id"]
    assert env["CORRAL_WORKER"] == served.agent.worker_id == done["worker"]
    assert env["CORRAL_AGENT"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["CORRAL_HUB_URL"] == served.hub.url
    # the credentials are the task's token from its lease, not the agent's key (which the
    # agent here has from HubCredentials) nor anything of the agent's own environment
    assert env["CORRAL_ACCESS_KEY"] not in (served.hub.access_key, AGENT_OWN_KEY)
    assert env["token_reads_its_task"] is True
    assert env["agent_own_anywhere"] is False
    # a config file of the task's own, in its work folder: nothing of the agent's
    assert env["CORRAL_CONFIG"].endswith("corral-config.toml")
    assert env["config_exists"] is False
    # the run is over: its token is refused
    token = f"Bearer {env['CORRAL_ACCESS_KEY']}:{env['CORRAL_SECRET_KEY']}"
    after = httpx.get(
        f"{served.hub.url}/api/v1/tasks/{done['id']}", headers={"Authorization": token}
    )
    assert after.status_code == 401
    # and no process of the task's group shows a secret on its command line
    assert env["secret_on_a_command_line"] is False


def test_the_task_runs_in_its_working_dir(api: httpx.Client, served: Served) -> None:
    code = """
        import json, os
        print("CWD " + json.dumps({"cwd": os.getcwd(), "file": os.path.abspath(__file__)}))
    """
    done = run_script(api, served, code, script={"working_dir": "data/run"})
    assert done["status"] == "completed"

    where = reported(api, done["id"], "CWD ")
    cwd, entry = Path(where["cwd"]), Path(where["file"])
    assert cwd.parts[-2:] == ("data", "run")
    assert entry.name == "t.py" and cwd.parent.parent == entry.parent  # the code's root


def test_requirements_are_installed_where_the_runner_installs_them(
    api: httpx.Client, served: Served
) -> None:
    code = """
        try:
            import six
            print("SIX " + '"' + six.__version__ + '"')
        except ImportError:
            print('SIX "absent"')
    """
    done = run_script(
        api, served, code, script={"requirements": {"pip": "six==1.16.0\ncorral==0.0.1\n"}}
    )
    assert done["status"] == "completed"

    written_back = done["script"]["freeze"].splitlines()
    if served.installs:
        assert reported(api, done["id"], "SIX ") == "1.16.0"
        assert "six==1.16.0" in written_back
    else:
        # nothing installed: the task runs in, and records, the agent's environment
        assert done["script"]["freeze"] == freeze()
    # the task's own corral pin is never installed: it runs with the agent's corral
    assert not any(line.startswith("corral==0.0.1") for line in written_back)


SLEEPER = """
import os, signal, subprocess, sys, time
ignore = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)"
child = subprocess.Popen([sys.executable, "-c", ignore + "; import time; time.sleep(600)"])
with open({pids!r} + ".tmp", "w") as f:
    f.write(f"{{os.getpid()}} {{child.pid}}")
os.replace({pids!r} + ".tmp", {pids!r})
print("sleeping", flush=True)
time.sleep(600)
"""


def test_abort_ends_the_whole_process_group(
    api: httpx.Client, served: Served, tmp_path: Path
) -> None:
    pids_file = tmp_path / "pids"
    task = script_task(api, SLEEPER.format(pids=str(pids_file)), served.queue)
    pids: list[int] = []
    try:
        text = wait_for(
            lambda: pids_file.exists() and pids_file.read_text(), "the task to run", DEADLINE
        )
        pids = [int(p) for p in text.split()]
        f.ok(api.post(f"/tasks/{task['id']}:abort", json={}))
        # the child ignores SIGTERM: SIGKILL after the grace period ends it too
        wait_for(lambda: all(gone(p) for p in pids), "every process of the task to end")
        done = wait_status(api, task["id"], "stopped")
        # the hub marks the task stopped at the abort; the agent's line is shipped after
        wait_for(
            lambda: any(
                ln["text"].startswith("corral-agent: the task was aborted on the hub")
                for ln in console_lines(api, done["id"])
            ),
            "the agent's stop line in the console",
        )
        if served.docker_record is not None:  # the container is killed as well
            wait_for(
                lambda: ["kill", f"corral-{task['id']}"] in docker_calls(served.docker_record),
                "docker kill",
            )
    finally:
        for pid in pids:
            kill_quietly(pid)


def test_a_task_without_code_fails_with_the_reason(api: httpx.Client, served: Served) -> None:
    task = f.task(api, project_name="agent-contract", script={"entry_point": "t.py"})
    f.ok(api.post(f"/tasks/{task['id']}:enqueue", json={"queue": served.queue}))

    done = wait_status(api, task["id"], "failed", "completed", timeout=DEADLINE)

    assert done["status"] == "failed"
    assert "has no code to run" in done["status_reason"]
    assert any("has no code to run" in line["text"] for line in console_lines(api, done["id"]))
