"""What the hub acknowledged survives the hub dying: killed with SIGKILL, restarted."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral.testing.hub import Hub, make_hub
from tests import factories as f
from tests.conftest import BACKENDS


@pytest.fixture(params=BACKENDS)
def own_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    h = make_hub(tmp_path / "hub", request.param)
    h.start()
    yield h
    h.dispose()


def test_acknowledged_writes_survive_a_killed_hub(own_hub: Hub) -> None:
    batch = {
        "batch_id": uuid.uuid4().hex,
        "events": [
            {
                "type": "scalars",
                "metric": "loss",
                "variant": "train",
                "iterations": list(range(1000)),
                "values": [1.0 / (i + 1) for i in range(1000)],
            },
            {"type": "log", "text": "epoch 1 done\n"},
        ],
    }
    with own_hub.client() as api:
        t = f.task(api, tags=["kept"])
        f.ok(api.post(f"/tasks/{t['id']}:start", json={}))
        assert f.ok(api.post(f"/tasks/{t['id']}/events", json=batch))["stored"] == 1001
        f.ok(api.put(f"/files/tasks/{t['id']}/artifacts/model.bin", content=b"w" * 100_000))
        f.ok(
            api.post(
                f"/tasks/{t['id']}/artifacts",
                json={"name": "model", "uri": f"hub://tasks/{t['id']}/artifacts/model.bin"},
            )
        )

    own_hub.stop(signal.SIGKILL)
    own_hub.start()

    with own_hub.client() as api:
        task = f.ok(api.get(f"/tasks/{t['id']}"))
        assert task["status"] == "in_progress" and task["tags"] == ["kept"]
        series = f.ok(api.get(f"/tasks/{t['id']}/scalars", params={"full": True}))["series"]
        assert len(series) == 1 and len(series[0]["values"]) == 1000
        logs = f.ok(api.get(f"/tasks/{t['id']}/logs"))["items"]
        assert [line["text"] for line in logs] == ["epoch 1 done\n"]
        assert api.get(f"/files/tasks/{t['id']}/artifacts/model.bin").content == b"w" * 100_000
        assert [a["name"] for a in f.ok(api.get(f"/tasks/{t['id']}/artifacts"))] == ["model"]
        # a client that never saw the answer retries the batch: it is stored once
        again = f.ok(api.post(f"/tasks/{t['id']}/events", json=batch))
        assert again["duplicate"] is True
        series = f.ok(api.get(f"/tasks/{t['id']}/scalars", params={"full": True}))["series"]
        assert len(series[0]["values"]) == 1000
