// The head row shared by the compare page's tables: the row label, then a column per
// experiment in its chart colour.
import type { Compared } from "./useCompared";

export function CompareTableHead({ first, compared }: { first: string; compared: Compared[] }) {
  return (
    <thead>
      <tr>
        <th scope="col">{first}</th>
        {compared.map((c) => (
          <th scope="col" key={c.id} style={{ borderTop: `3px solid ${c.color}` }}>
            {c.label}
          </th>
        ))}
      </tr>
    </thead>
  );
}
