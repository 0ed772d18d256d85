// Models: the models the run started from (input) and those it produced (output),
// each linked to its page.
import { useQueries } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { queries } from "../../../api/queries";
import type { TaskOut } from "../../../api/types";
import { Empty } from "../../../components/feedback";

export function ModelsTab({ task }: { task: TaskOut }) {
  const rows = [
    ...task.models.input.map((m) => ({ ...m, role: "input" })),
    ...task.models.output.map((m) => ({ ...m, role: "output" })),
  ];
  const details = useQueries({
    queries: rows.slice(0, 100).map((m) => queries.model(m.model_id)),
  });
  if (!rows.length) {
    return (
      <Empty title="No models yet">
        Input models the run loads and output models it saves (<code>OutputModel</code>, framework checkpoints) are
        listed here.
      </Empty>
    );
  }
  return (
    <table className="grid" aria-label="Models">
      <thead>
        <tr>
          <th>Role</th>
          <th>Name</th>
          <th>Framework</th>
          <th>URI</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((m, i) => {
          const info = details[i]?.data;
          const error = details[i]?.error;
          return (
            <tr key={`${m.role}:${m.model_id}:${i}`} data-testid={`model-${m.name}`}>
              <td>{m.role}</td>
              <td>
                <Link to={`/models/${m.model_id}`}>{m.name}</Link>
              </td>
              <td>{info?.framework || "—"}</td>
              <td className="uri">{info?.uri || "—"}</td>
              <td>
                {error ? (
                  <span className="field-error">{(error as Error).message}</span>
                ) : info ? (
                  [info.published ? "published" : "draft", info.archived ? "archived" : ""].filter(Boolean).join(", ")
                ) : (
                  "…"
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
