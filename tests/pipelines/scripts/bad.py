"""Each bad pipeline definition raises a clear error before anything is enqueued.

argv: PROJECT QUEUE (an existing queue); prints {case: error message} as JSON.
"""

import json
import sys

from corral import PipelineController
from corral.errors import CorralError

project, queue = sys.argv[1], sys.argv[2]


def one(x):
    return x


def uses_json(x):
    return json.dumps(x)


def make():
    return PipelineController(name="bad", project=project)


def duplicate():
    p = make()
    p.add_function_step("a", one, function_kwargs={"x": 1})
    p.add_function_step("a", one, function_kwargs={"x": 1})


def lambda_step():
    make().add_function_step("a", lambda x: x)


def closure():
    factor = 2

    def scaled(x):
        return x * factor

    make().add_function_step("a", scaled)


def global_name():
    make().add_function_step("a", uses_json)


def unknown_parent():
    p = make()
    p.add_function_step("a", one, function_kwargs={"x": 1}, parents=["nope"])
    p.start_locally(run_pipeline_steps_locally=True)


def cycle():
    p = make()
    p.add_function_step("a", one, function_kwargs={"x": "${b.r}"}, function_return=["r"])
    p.add_function_step("b", one, function_kwargs={"x": "${a.r}"}, function_return=["r"])
    p.start_locally(run_pipeline_steps_locally=True)


def unknown_step_reference():
    p = make()
    p.add_function_step("a", one, function_kwargs={"x": "${ghost.r}"})
    p.start_locally(run_pipeline_steps_locally=True)


def unknown_return():
    p = make()
    p.add_function_step("a", one, function_kwargs={"x": 1}, function_return=["r"])
    p.add_function_step("b", one, function_kwargs={"x": "${a.other}"})
    p.start_locally(run_pipeline_steps_locally=True)


def unknown_parameter():
    p = make()
    p.add_function_step("a", one, function_kwargs={"x": "${pipeline.lr}"})
    p.start_locally(run_pipeline_steps_locally=True)


def unknown_queue():
    p = make()
    p.add_function_step("a", one, function_kwargs={"x": 1}, execution_queue=queue)
    p.add_function_step("b", one, function_kwargs={"x": 1}, execution_queue="no-such-queue")
    p.start_locally()


def unknown_base_task():
    make().add_step("a", base_task_project=project, base_task_name="no-such-task")


def bad_name():
    make().add_function_step("a b", one)


errors = {}
for case in (
    duplicate,
    lambda_step,
    closure,
    global_name,
    unknown_parent,
    cycle,
    unknown_step_reference,
    unknown_return,
    unknown_parameter,
    unknown_queue,
    unknown_base_task,
    bad_name,
):
    try:
        case()
    except CorralError as e:
        errors[case.__name__] = str(e)
    else:
        errors[case.__name__] = None
from corral import Task  # noqa: E402

print(json.dumps({"controller": Task.current_task().id, "errors": errors}))
