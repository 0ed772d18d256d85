// Pieces the Datasets pages share: the state and change badges, and the pager's buttons.
import { CHANGE_LABELS, rowRange, STATE_LABELS } from "./datasetFormat";
import type { DatasetState, DiffChange, FileChange } from "../../api/types";

export function StateBadge({ state }: { state: DatasetState }) {
  return (
    <span className={`status dataset-state-${state}`} data-testid="dataset-state" data-state={state}>
      {STATE_LABELS[state] ?? state}
    </span>
  );
}

export function ChangeBadge({ change }: { change: FileChange | DiffChange }) {
  return (
    <span className={`dataset-change dataset-change-${change}`} data-change={change}>
      {CHANGE_LABELS[change] ?? change}
    </span>
  );
}

export interface PaginationProps {
  label: string;
  index: number;
  perPage: number;
  shown: number;
  total?: number | null;
  hasNext: boolean;
  busy: boolean;
  onPrevious: () => void;
  onNext: () => void;
}

export function Pagination({ label, index, perPage, shown, total, hasNext, busy, onPrevious, onNext }: PaginationProps) {
  return (
    <nav className="row dataset-pager" aria-label={label}>
      <button onClick={onPrevious} disabled={index === 0 || busy}>
        ‹ Previous
      </button>
      <span className="muted" data-testid="page-range">
        {rowRange(index, perPage, shown, total)}
      </span>
      <button onClick={onNext} disabled={!hasNext || busy}>
        Next ›
      </button>
    </nav>
  );
}
