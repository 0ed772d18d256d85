"""Seeded data for the UI tests, made through the hub's real API.

``seed_project`` builds a project that exercises every tab of the experiment page:
code with a diff, typed hyperparameters, a configuration object, console lines,
scalars, a plotly figure, a debug image, an artifact and an output model.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.factories import ok, run_to, send_events, unique

DIFF = """diff --git a/train.py b/train.py
index 1111111..2222222 100644
--- a/train.py
+++ b/train.py
@@ -1,3 +1,3 @@
 import corral
-LR = 0.1
+LR = 0.01
 print("training")
"""

#: a 2x2 red PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg=="
)


@dataclass
class Seeded:
    project: dict[str, Any]
    #: name -> task (as the API returned it after seeding)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    model: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return str(self.project["name"])


def hyperparams(lr: float, batch: int, optimizer: str = "adam") -> dict[str, Any]:
    return {
        "Args": {
            "lr": {"value": lr, "type": "float", "description": "learning rate"},
            "batch_size": {"value": batch, "type": "int", "description": "samples per step"},
            "augment": {"value": False, "type": "bool"},
        },
        "General": {"optimizer": {"value": optimizer, "type": "str"}},
    }


def scalar_series(metric: str, variant: str, n: int, f: Any) -> dict[str, Any]:
    return {
        "type": "scalars",
        "metric": metric,
        "variant": variant,
        "iterations": list(range(n)),
        "values": [float(f(i)) for i in range(n)],
    }


def seed_project(api: httpx.Client, prefix: str = "ui") -> Seeded:
    """A project with a completed run ("baseline"), a second run ("wide"), a draft
    clone ("draft") and a failed run ("broken")."""
    name = unique(prefix)
    seeded = Seeded(
        project=ok(
            api.post("/projects", json={"name": name, "description": "seeded for the UI tests"})
        )
    )
    baseline = ok(
        api.post(
            "/tasks",
            json={
                "name": "baseline",
                "project": name,
                "tags": ["seed", "best"],
                "script": {
                    "repository": "https://github.com/example/parking.git",
                    "branch": "main",
                    "commit": "0123456789abcdef0123456789abcdef01234567",
                    "diff": DIFF,
                    "entry_point": "train.py",
                    "working_dir": ".",
                    "requirements": {"pip": "numpy==2.1.0\ncorral==0.1.0\n"},
                    "python": "3.11.7",
                },
                "container": {"image": "python:3.11-slim", "arguments": "--shm-size=1g"},
                "hyperparams": hyperparams(0.01, 32),
                "configuration": {
                    "model.yaml": {"type": "yaml", "value": "layers: 4\nwidth: 128\n"}
                },
                "runtime": {
                    "hostname": "seed-host",
                    "os": "Linux",
                    "cpu_cores": 8,
                    "python": "3.11.7",
                },
            },
        )
    )
    run_to(api, baseline["id"], "in_progress")
    events: list[dict[str, Any]] = [
        scalar_series("loss", "train", 50, lambda i: 1.0 / (i + 1)),
        scalar_series("loss", "val", 50, lambda i: 1.2 / (i + 1) + 0.01),
        scalar_series("accuracy", "val", 50, lambda i: 0.5 + i / 100),
        {
            "type": "plot",
            "metric": "confusion",
            "variant": "val",
            "iteration": 49,
            "figure": {
                "data": [{"type": "heatmap", "z": [[5, 1], [2, 7]]}],
                "layout": {"title": {"text": "confusion"}},
            },
        },
    ]
    events += [{"type": "log", "text": f"epoch {i} loss={1.0 / (i + 1):.4f}"} for i in range(50)]
    events.append({"type": "log", "text": "training done", "stream": "stderr", "level": "warning"})
    ok(send_events(api, baseline["id"], events))
    image_path = f"tasks/{baseline['id']}/debug/sample-49.png"
    ok(
        api.put(
            f"/files/{image_path}",
            content=PNG,
            headers={"content-type": "application/octet-stream"},
        )
    )
    ok(
        send_events(
            api,
            baseline["id"],
            [
                {
                    "type": "debug_sample",
                    "metric": "inputs",
                    "variant": "image",
                    "iteration": it,
                    "uri": f"hub://{image_path}",
                    "content_type": "image/png",
                }
                for it in (10, 49)
            ],
        )
    )
    ok(
        api.post(
            f"/tasks/{baseline['id']}/artifacts",
            json={
                "name": "predictions",
                "type": "json",
                "uri": f"hub://{image_path}",
                "size": len(PNG),
                "hash": "sha256:" + "ab" * 32,
                "preview": '{"cat": 0.9, "dog": 0.1}',
            },
        )
    )
    seeded.model = ok(
        api.post(
            "/models",
            json={
                "name": "detector",
                "task_id": baseline["id"],
                "framework": "pytorch",
                "uri": f"hub://{image_path}",
                "tags": ["seed"],
                "labels": {"cat": 0, "dog": 1},
            },
        )
    )
    ok(api.post(f"/tasks/{baseline['id']}:complete", json={}))
    seeded.tasks["baseline"] = ok(api.get(f"/tasks/{baseline['id']}"))

    wide = ok(
        api.post(
            "/tasks",
            json={"name": "wide", "project": name, "hyperparams": hyperparams(0.1, 64, "sgd")},
        )
    )
    run_to(api, wide["id"], "in_progress")
    ok(send_events(api, wide["id"], [scalar_series("loss", "train", 50, lambda i: 2.0 / (i + 1))]))
    ok(api.post(f"/tasks/{wide['id']}:complete", json={}))
    seeded.tasks["wide"] = ok(api.get(f"/tasks/{wide['id']}"))

    seeded.tasks["draft"] = ok(api.post(f"/tasks/{baseline['id']}:clone", json={"name": "draft"}))
    broken = ok(
        api.post(
            "/tasks", json={"name": "broken", "project": name, "type": "testing", "tags": ["seed"]}
        )
    )
    run_to(api, broken["id"], "failed")
    seeded.tasks["broken"] = ok(api.get(f"/tasks/{broken['id']}"))
    return seeded


def new_id() -> str:
    return uuid.uuid4().hex
