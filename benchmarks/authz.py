"""What authorization costs: the experiments table as a member, and writes under a login attack.

Budgets (DESIGN.md section 9, issue 13):

* the experiments table (100,000 tasks in 200 projects, a quarter of them private,
  read by a user who belongs to 20 projects): the first page sorted by a metric, at
  most 1.3x the same query made by an admin (who sees everything, no filter);
* a legitimate writer's latency while 4 clients brute-force a password: at most 2x
  its idle latency (``login_bruteforce.py``, run here too).

The hub is started on a fresh data dir (and PostgreSQL database when
``CORRAL_TEST_DATABASE_URL`` is set); the projects, the user and the memberships are
made through the API; the tasks are bulk-loaded straight into the database (as
``task_table.py`` does) and the hub is started again. Each list is requested
``--repeat`` times after a warm-up; medians are reported, as seen by the client.

    .venv/bin/python benchmarks/authz.py [--tasks 100000] [--repeat 30] [--skip-login]
"""

from __future__ import annotations

import argparse
import random
from typing import Any

import httpx
from _common import Timer, backends, emit, running_hub, say
from sqlalchemy import create_engine
from task_table import PAGE, check, database_url, load, median_ms

from corral.server.db.engine import normalize_url

BUDGET_RATIO = 1.3
PROJECTS = 200
MEMBER_OF = 20
PASSWORD = "plum-orbit-cascade-velvet-42"

CASES: dict[str, dict[str, Any]] = {
    "metric_desc": {"sort": "-metric:loss:val:last"},
    "metric_desc_tag_best": {"sort": "-metric:loss:val:last", "tag": "best"},
    "list_newest": {},
}


def _setup(c: httpx.Client, hub_url: str, seed: int) -> tuple[list[str], httpx.Client, set[str]]:
    """200 projects (every 4th private), a user in 20 of them; returns ids, client, visible."""
    rng = random.Random(seed)
    ids, private = [], set()
    for i in range(PROJECTS):
        visibility = "private" if i % 4 == 0 else "public"
        p = c.post("/projects", json={"name": f"authz/p{i:03d}", "visibility": visibility})
        p.raise_for_status()
        ids.append(p.json()["id"])
        if visibility == "private":
            private.add(p.json()["id"])
    user = c.post("/users", json={"name": "member", "password": PASSWORD})
    user.raise_for_status()
    user_id = user.json()["id"]
    member_of = rng.sample(ids, MEMBER_OF)
    for pid in member_of:
        body = {"member_type": "user", "member": user_id, "role": "editor"}
        c.put(f"/projects/{pid}/members", json=body).raise_for_status()
    key = c.post("/keys", json={"user_id": user_id, "label": "bench"}).json()
    client = httpx.Client(
        base_url=hub_url + "/api/v1",
        headers={"Authorization": f"Bearer {key['access_key']}:{key['secret_key']}"},
        timeout=120,
    )
    # public projects, and the private ones the user belongs to (plus the parent "authz")
    visible = (set(ids) - private) | (set(member_of) & private)
    return ids, client, visible


def bench(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    say(f"\n== {backend}: {args.tasks:,} tasks in {PROJECTS} projects")
    out: dict[str, Any] = {}
    with running_hub(backend) as hub:
        with hub.client() as c:
            ids, member, visible = _setup(c, hub.url, args.seed)
            admin_id = c.get("/auth/me").json()["id"]
        hub.stop()
        engine = create_engine(normalize_url(database_url(hub)))
        with Timer() as t:
            load(engine, args.tasks, ids, admin_id, 2000, args.seed)
        engine.dispose()
        say(f"bulk load: {t.seconds:.1f} s")
        hub.start()
        with hub.client() as admin, member:
            for case, given in CASES.items():
                params = {"limit": PAGE, **given}
                page = member.get("/tasks", params=params)
                page.raise_for_status()
                check(case, params, page.json())
                leaked = [t for t in page.json()["items"] if t["project_id"] not in visible]
                if leaked:
                    raise SystemExit(f"{case}: the member saw {len(leaked)} hidden tasks")
                admin_ms = median_ms(admin, "/tasks", params, args.repeat)
                member_ms = median_ms(member, "/tasks", params, args.repeat)
                ratio = member_ms / admin_ms
                out[case] = {
                    "admin_ms (baseline)": round(admin_ms, 2),
                    "member_ms": round(member_ms, 2),
                    "ratio": round(ratio, 3),
                }
                say(
                    f"  {case:<24} admin {admin_ms:7.1f} ms  member {member_ms:7.1f} ms  x{ratio:.2f}"
                )
    out["within_budget"] = all(
        v["ratio"] <= BUDGET_RATIO for k, v in out.items() if k.startswith("metric")
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--skip-login", action="store_true", help="only the table")
    args = parser.parse_args()
    result: dict[str, Any] = {
        "tasks": args.tasks,
        "projects": PROJECTS,
        "budget_ratio": BUDGET_RATIO,
    }
    for backend in backends():
        result[backend] = bench(backend, args)
    if not args.skip_login:
        import login_bruteforce

        result["login_bruteforce"] = login_bruteforce.run()
    emit(result)


if __name__ == "__main__":
    main()
