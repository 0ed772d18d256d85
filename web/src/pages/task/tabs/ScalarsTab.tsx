// Placeholder: replaced by the real tab.
import type { TaskOut } from "../../../api/types";

export function ScalarsTab({ task }: { task: TaskOut }) {
  return <div>{task.id}</div>;
}
