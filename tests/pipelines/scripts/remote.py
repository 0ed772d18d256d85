"""A pipeline whose controller goes to an agent: ``start(queue)`` ends this process.

The test writes the project and the queues into a copy of this file (the agent runs
the stored script again, without the command line's arguments).
"""

from corral import PipelineController

project, controller_queue, step_queue = "PROJECT", "CONTROLLER_QUEUE", "STEP_QUEUE"


def double(x):
    return x * 2


pipe = PipelineController(name="remote", project=project)
pipe.add_parameter("x", 3)
pipe.set_default_execution_queue(step_queue)
pipe.add_function_step("one", double, function_kwargs={"x": "${pipeline.x}"}, function_return=["y"])
pipe.add_function_step("two", double, function_kwargs={"x": "${one.y}"}, function_return=["y"])
pipe.start(queue=controller_queue)
print("still here: the pipeline ran under the agent")
