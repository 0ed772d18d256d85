// What the pipelines list says before any pipeline has run: how to make one.
import { Empty } from "../../components/feedback";

const DECORATOR = `from corral import PipelineDecorator

@PipelineDecorator.component(return_values=["total"], cache=True)
def add(a, b): return a + b

@PipelineDecorator.pipeline(name="sums", project="examples", version="1.0.0")
def run(x=1): print(add(a=x, b=add(a=x, b=2)).result())   # an edge: b waits for add

PipelineDecorator.run_locally(); run()`;

const NOTEBOOK = `corral pipeline from-notebook analysis.ipynb --run --locally`;

export function PipelinesEmpty() {
  return (
    <Empty title="No pipelines yet">
      <p>A pipeline run appears here as soon as it starts. Write one as plain Python:</p>
      <pre className="code pipelines-snippet">{DECORATOR}</pre>
      <p>
        or turn a notebook whose cells carry tags (<code>step:NAME</code>, <code>pipeline-parameters</code>…) into one:
      </p>
      <pre className="code pipelines-snippet">{NOTEBOOK}</pre>
      <p>
        <code>PipelineController</code> (steps from existing tasks or functions) works too: see the SDK guide.
      </p>
    </Empty>
  );
}
