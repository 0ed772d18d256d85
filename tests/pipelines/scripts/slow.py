"""Two steps: ``one`` returns at once, ``two`` waits for a file (the test's signal).

argv: PROJECT RELEASE_FILE [QUEUE]: with a QUEUE the steps go to its agents, else they
run here as subprocesses.
"""

import json
import sys

from corral import PipelineController

project, release = sys.argv[1], sys.argv[2]
queue = sys.argv[3] if len(sys.argv) > 3 else None


def one():
    return 1


def two(x, release):
    import os
    import time

    deadline = time.monotonic() + 600
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.1)
    return x + 1


pipe = PipelineController(name="slow", project=project)
pipe.add_function_step("one", one, function_return=["x"])
pipe.add_function_step(
    "two", two, function_kwargs={"x": "${one.x}", "release": release}, function_return=["y"]
)
if queue:
    pipe.set_default_execution_queue(queue)
    pipe.start_locally()
else:
    pipe.start_locally(run_pipeline_steps_locally=True)
print(
    json.dumps(
        {
            "controller": pipe.id,
            "successful": pipe.is_successful(),
            "nodes": {
                n: {"status": v.status, "executed": v.executed}
                for n, v in pipe.get_pipeline_dag().items()
            },
        }
    )
)
