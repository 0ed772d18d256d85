"""``corral server`` on a fresh data dir until ``/health`` answers.

Budget (DESIGN.md section 9): < 1.5 s. Each run starts ``corral server`` (as a new
user would, through the ``corral`` entry point of this environment) on an empty
data dir, polls ``/health`` every 10 ms, and stops the hub; the median of
``--repeat`` runs is reported, for a fresh data dir (schema created, admin and key
made) and for a restart on an existing one. On PostgreSQL (with
``CORRAL_TEST_DATABASE_URL``), a fresh database each run.

Baselines, in the same run: the bare interpreter (``python -c pass``); the
interpreter importing the hub's frameworks (FastAPI, SQLAlchemy with its ORM,
uvicorn, pydantic); and a minimal app on the same stack (one FastAPI route that
reads an SQLite file through an SQLAlchemy ORM session, served by uvicorn) from
launch to its first answer: the floor any hub built on them pays on this machine.

The hub starts from cached bytecode, as an installed package does (one warm-up
start writes it; ``PYTHONDONTWRITEBYTECODE`` is dropped from the hub's
environment): compiling Corral's ~90 modules at every start would add about
0.05-0.1 s.

Wall time on a shared machine moves with its load, so each start also reports the
CPU seconds its process used until ``/health`` answered (Linux: ``/proc``; all its
threads, the admin password's hashing included), and the ratio of the hub's
figures to the minimal app's, which moves much less.

    .venv/bin/python benchmarks/startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import backends, create_pg_database, drop_pg_database, emit, say

from corral.testing.hub import free_port

BUDGET_S = 1.5
CORRAL = str(Path(sys.executable).with_name("corral"))


def _time_command(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True)
    return time.perf_counter() - start


MINIMAL_APP = """
import sys
import uvicorn
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

engine = create_engine("sqlite:///" + sys.argv[2])
app = FastAPI()


@app.get("/health")
def health() -> dict:
    with Session(engine) as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far, all its threads (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for_health(proc: subprocess.Popen[bytes], url: str, start: float) -> tuple[float, float]:
    """Seconds from ``start`` to the first 200 from ``url``, and the CPU seconds of ``proc``."""
    with httpx.Client(timeout=1) as client:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                if client.get(url).status_code == 200:
                    return time.perf_counter() - start, _cpu_seconds(proc.pid)
            except httpx.HTTPError:
                pass
            time.sleep(0.01)


def minimal_app_to_health(tmp: Path) -> tuple[float, float]:
    """Seconds from launching the minimal FastAPI + SQLAlchemy app to its first answer,
    and the CPU seconds it used."""
    script = tmp / "minimal_app.py"
    script.write_text(MINIMAL_APP)
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(script), str(port), str(tmp / "minimal.db")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        return _wait_for_health(proc, f"http://127.0.0.1:{port}/health", start)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def start_to_health(data_dir: Path, database_url: str | None) -> tuple[float, float]:
    """Seconds from launching ``corral server`` to the first 200 from ``/health``, and
    the CPU seconds it used."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        CORRAL_CONFIG=str(data_dir.parent / "config.toml"),
        CORRAL_ADMIN_PASSWORD="benchmark-admin-password",
    )
    env.pop("CORRAL_DATABASE_URL", None)
    # An installed package starts from cached bytecode; a shell that forbids writing
    # it (PYTHONDONTWRITEBYTECODE) would have every start compile Corral's modules.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [CORRAL, "server", "--port", str(port), "--data-dir", str(data_dir)]
    if database_url:
        cmd += ["--database-url", database_url]
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        return _wait_for_health(proc, f"http://127.0.0.1:{port}/health", start)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def bench(backend: str, repeat: int, minimal_s: float) -> dict[str, Any]:
    fresh: list[tuple[float, float]] = []
    restart: list[tuple[float, float]] = []
    for _ in range(repeat):
        tmp = Path(tempfile.mkdtemp(prefix="corral-startup-"))
        url = (
            create_pg_database(os.environ["CORRAL_TEST_DATABASE_URL"])
            if backend == "postgres"
            else None
        )
        try:
            fresh.append(start_to_health(tmp / "data", url))
            restart.append(start_to_health(tmp / "data", url))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            if url:
                drop_pg_database(url)
    result = {
        "fresh_s": round(statistics.median(w for w, _ in fresh), 3),
        "fresh_max_s": round(max(w for w, _ in fresh), 3),
        "restart_s": round(statistics.median(w for w, _ in restart), 3),
        "fresh_cpu_s": round(statistics.median(c for _, c in fresh), 3),
        "restart_cpu_s": round(statistics.median(c for _, c in restart), 3),
    }
    result["fresh_ratio_to_minimal_app"] = round(result["fresh_s"] / minimal_s, 3)
    say(
        f"  {backend}: fresh data dir -> /health {result['fresh_s']:.2f} s "
        f"(worst {result['fresh_max_s']:.2f} s; CPU {result['fresh_cpu_s']:.2f} s; "
        f"{result['fresh_ratio_to_minimal_app']:.2f}x the minimal app), "
        f"restart {result['restart_s']:.2f} s (CPU {result['restart_cpu_s']:.2f} s)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bare = statistics.median(_time_command([sys.executable, "-c", "pass"]) for _ in range(3))
    frameworks = statistics.median(
        _time_command([sys.executable, "-c", "import fastapi, sqlalchemy.orm, uvicorn, pydantic"])
        for _ in range(3)
    )
    with tempfile.TemporaryDirectory(prefix="corral-startup-") as tmp:
        runs = [minimal_app_to_health(Path(tmp)) for _ in range(3)]
    minimal = statistics.median(w for w, _ in runs)
    minimal_cpu = statistics.median(c for _, c in runs)
    say(
        f"baselines: bare python {bare:.3f} s, importing the frameworks {frameworks:.3f} s, "
        f"a minimal FastAPI + SQLAlchemy app to its first answer {minimal:.3f} s "
        f"(CPU {minimal_cpu:.2f} s); load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="corral-startup-") as tmp:
        start_to_health(Path(tmp) / "data", None)  # warm-up: writes the bytecode caches
    results = {b: bench(b, args.repeat, minimal) for b in backends()}
    worst = max(r["fresh_s"] for r in results.values())
    say(
        f"worst fresh start {worst:.2f} s (budget {BUDGET_S} s): "
        + ("within" if worst < BUDGET_S else "OVER")
    )
    emit(
        {
            "benchmark": "startup",
            "budget_s": BUDGET_S,
            "baseline_python_s": round(bare, 3),
            "baseline_frameworks_import_s": round(frameworks, 3),
            "baseline_minimal_app_s": round(minimal, 3),
            "baseline_minimal_app_cpu_s": round(minimal_cpu, 3),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "results": results,
            "within_budget": worst < BUDGET_S,
        }
    )


if __name__ == "__main__":
    main()
