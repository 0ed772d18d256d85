"""A pipeline of existing tasks with references, its steps on an agent's queue.

argv: PROJECT PREP_TASK_ID QUEUE (the train base task is found by project and name).
"""

import json
import sys

from corral import PipelineController

project, prep_id, queue = sys.argv[1], sys.argv[2], sys.argv[3]
pipe = PipelineController(name="tasks", project=project, add_pipeline_tags=True)
pipe.add_parameter("n", 4)
pipe.set_default_execution_queue(queue)
pipe.add_step("prep", base_task_id=prep_id, parameter_override={"General/n": "${pipeline.n}"})
pipe.add_step(
    "train",
    base_task_project=project,
    base_task_name="train-base",
    parameter_override={
        "General/data_url": "${prep.artifacts.data.url}",
        "General/prep_id": "${prep.id}",
        "General/label": "n=${pipeline.n}",
    },
    configuration_overrides={"settings": {"epochs": 2}},
)
pipe.start_locally()
print(
    json.dumps(
        {
            "controller": pipe.id,
            "successful": pipe.is_successful(),
            "nodes": {
                n: {"status": v.status, "executed": v.executed, "parents": v.parents}
                for n, v in pipe.get_pipeline_dag().items()
            },
        }
    )
)
