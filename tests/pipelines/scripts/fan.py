"""A function pipeline: load -> square x3 (fan-out) -> total (fan-in).

argv: PROJECT (under an agent, which runs the stored script without it, the controller
task is there already); env: FAN_K2 (the factor of sq2, default 2), FAN_LOAD_CACHE (0: load is
not cached), FAN_FORCE (1: force_rerun), FAN_TTL (cache_ttl, seconds), FAN_LOCAL (0: steps go to FAN_QUEUE's agents).
"""

import json
import os
import sys

from corral import PipelineController


def load(rows):
    return list(range(rows))


def square(data, k):
    return [x * k for x in data]


def total(a, b, c):
    return sum(a) + sum(b) + sum(c)


pipe = PipelineController(
    name="fan",
    project=sys.argv[1] if len(sys.argv) > 1 else "pipes",
    version="1.0.0",
    force_rerun=os.environ.get("FAN_FORCE") == "1",
    cache_ttl=float(os.environ["FAN_TTL"]) if "FAN_TTL" in os.environ else None,
)
pipe.add_parameter("rows", 5, description="how many numbers", param_type=int)
pipe.add_function_step(
    "load",
    load,
    function_kwargs={"rows": "${pipeline.rows}"},
    function_return=["data"],
    cache_executed_step=os.environ.get("FAN_LOAD_CACHE", "1") == "1",
)
for k in (1, 2, 3):
    factor = int(os.environ.get("FAN_K2", "2")) if k == 2 else k
    pipe.add_function_step(
        f"sq{k}",
        square,
        function_kwargs={"data": "${load.data}", "k": factor},
        function_return=["out"],
        cache_executed_step=True,
    )
pipe.add_function_step(
    "total",
    total,
    function_kwargs={"a": "${sq1.out}", "b": "${sq2.out}", "c": "${sq3.out}"},
    function_return=["sum"],
    cache_executed_step=True,
)
if os.environ.get("FAN_LOCAL", "1") == "1":
    pipe.start_locally(run_pipeline_steps_locally=True)
else:
    pipe.set_default_execution_queue(os.environ["FAN_QUEUE"])
    pipe.start_locally()
dag = pipe.get_pipeline_dag()
print(
    json.dumps(
        {
            "controller": pipe.id,
            "successful": pipe.is_successful(),
            "nodes": {
                n: {
                    "status": v.status,
                    "executed": v.executed,
                    "cached_from": v.cached_from,
                    "attempts": v.attempts,
                }
                for n, v in dag.items()
            },
        }
    )
)
