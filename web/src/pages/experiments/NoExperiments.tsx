// What the table says when it has no rows: how to create the first experiment, or that
// the filters leave none.
import { Empty } from "../../components/feedback";

export function NoExperiments({
  projectName,
  filtered,
  archive,
  onClear,
}: {
  /** the project of the table; undefined for all projects */
  projectName: string | undefined;
  filtered: boolean;
  archive: boolean;
  onClear: () => void;
}) {
  if (filtered) {
    return (
      <Empty title={archive ? "No archived experiment matches" : "No experiment matches these filters"}>
        <button onClick={onClear}>Clear filters</button>
      </Empty>
    );
  }
  const project = projectName ?? "my-project";
  return (
    <Empty title={projectName ? "No experiments in this project yet" : "No experiments yet"}>
      <p>Run a script that starts with these two lines, and it shows here as it runs:</p>
      <pre className="code">{`from corral import Task\ntask = Task.init(project_name=${JSON.stringify(project)}, task_name="my-experiment")`}</pre>
    </Empty>
  );
}
