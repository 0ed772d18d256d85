// What the models table says before any model exists: how a script registers one.
import { Empty } from "../../components/feedback";

const SNIPPET = `from corral import OutputModel, Task

task = Task.init(project_name="demo", task_name="train")
model = OutputModel(task, framework="pytorch", name="detector", labels={"cat": 0, "dog": 1})
model.update_weights("best.pt")   # uploaded to the hub, then listed here`;

export function ModelsEmpty() {
  return (
    <Empty title="No models yet">
      <p>
        A run registers the models it saves: <code>torch.save</code>, Keras, XGBoost, LightGBM and joblib saves are
        captured once the script calls <code>Task.init</code>. Or register one yourself with <code>OutputModel</code>:
      </p>
      <pre className="code models-snippet">{SNIPPET}</pre>
    </Empty>
  );
}
