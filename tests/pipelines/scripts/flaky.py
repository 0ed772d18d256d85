"""Retries and failures. argv: PROJECT MARKER_DIR MODE.

MODE retry: ``flaky`` fails on its first attempt, then succeeds (retry_on_failure=2).
MODE fail: ``broken`` always fails; ``other`` (independent) still runs; ``after``
(a child of broken) is skipped; the run is not successful.
MODE abort: ``abort_on_failure``: ``broken`` fails while ``slowpoke`` (independent, it
waits for a file that never comes) runs; slowpoke is aborted at once.
"""

import json
import sys

from corral import PipelineController

project, marker_dir, mode = sys.argv[1], sys.argv[2], sys.argv[3]


def flaky(marker):
    import os

    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("the first attempt fails")
    return "ok"


def broken():
    raise ValueError("this step always fails")


def fine():
    return 1


def slowpoke(never):
    import os
    import time

    while not os.path.exists(never):
        time.sleep(0.1)
    return 1


pipe = PipelineController(
    name=f"flaky-{mode}", project=project, retry_on_failure=2, abort_on_failure=mode == "abort"
)
if mode == "retry":
    pipe.add_function_step(
        "flaky", flaky, function_kwargs={"marker": f"{marker_dir}/attempted"}, function_return=["r"]
    )
elif mode == "abort":
    pipe.add_function_step(
        "slowpoke",
        slowpoke,
        function_kwargs={"never": f"{marker_dir}/never"},
        function_return=["r"],
    )
    pipe.add_function_step("broken", broken, retry_on_failure=0)
else:
    pipe.add_function_step("broken", broken, function_return=["r"], retry_on_failure=0)
    pipe.add_function_step(
        "other", fine, function_return=["r"], task_name="other (qc)", task_type="qc"
    )
    pipe.add_function_step("after", fine, parents=["broken"])
pipe.start_locally(run_pipeline_steps_locally=True)
print(
    json.dumps(
        {
            "controller": pipe.id,
            "successful": pipe.is_successful(),
            "nodes": {
                n: {
                    "status": v.status,
                    "executed": v.executed,
                    "attempts": v.attempts,
                    "reason": v.reason,
                }
                for n, v in pipe.get_pipeline_dag().items()
            },
        }
    )
)
