"""A decorator pipeline: 5 components fan out, one fans in, a plain `if` on a value.

argv: PROJECT; env CORRAL_PIPELINE_LOCAL=1 (steps here) or CORRAL_PIPELINE_QUEUE=Q.
"""

import json
import sys

from helpers_module import scale  # a component defined in another module

from corral import PipelineDecorator


@PipelineDecorator.component(return_values=["data"], cache=True)
def make(rows):
    return list(range(rows))


@PipelineDecorator.component(return_values=["total", "count"], cache=True)
def combine(parts):
    return sum(sum(p) for p in parts), len(parts)


@PipelineDecorator.pipeline(name="decorated", project=sys.argv[1], version="2.0.0")
def pipeline(rows=4, fan=5):
    data = make(rows=rows)
    parts = [scale(data=data, k=k) for k in range(1, fan + 1)]  # fan-out
    total, count = combine(parts=parts)  # fan-in (waits for the 5 values)
    verdict = "big" if total > 50 else "small"  # a plain `if` on a result
    PipelineDecorator.get_logger().report_single_value("total", float(total))
    return {"total": int(total), "count": int(count), "verdict": verdict}


if __name__ == "__main__":
    result = pipeline()
    from corral import Task

    print(json.dumps({"result": result, "controller": Task.current_task().id}))
