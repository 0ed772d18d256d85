"""Components in a module of their own: they work whatever the import order."""

from corral import PipelineDecorator


@PipelineDecorator.component(return_values=["scaled"], cache=True)
def scale(data, k):
    return [x * k for x in data]
