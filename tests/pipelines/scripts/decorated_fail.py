"""A decorator pipeline whose component fails: reading its value raises, the run fails.

argv: PROJECT (steps run here).
"""

import sys

from corral import PipelineDecorator


@PipelineDecorator.component(return_values=["x"])
def broken():
    raise ValueError("no data today")


@PipelineDecorator.pipeline(name="failing", project=sys.argv[1])
def pipeline():
    value = broken()
    print("never", float(value))


if __name__ == "__main__":
    PipelineDecorator.run_locally()
    pipeline()
