// The hyperparameter editor's working copy: rows edited as text, checked against their
// type, and turned into the patch PATCH /tasks/{id}/hyperparams takes (only what changed;
// ``null`` deletes a parameter).
import type { Hyperparam, Hyperparams } from "../../api/types";
import { paramKind, parseTyped, typeName, valueText, type ParamKind } from "./typedValue";

export interface ParamRow {
  section: string;
  name: string;
  kind: ParamKind;
  /** the declared type as stored ("int", "typing.List[int]"...) */
  type: string;
  description: string;
  text: string;
  /** the text it started with: an untouched value is kept as stored, even if it is not of its type */
  initial: string;
  /** not on the task yet */
  added: boolean;
  removed: boolean;
}

export type HyperparamsPatch = Record<string, Record<string, Hyperparam | null>>;

export const rowKey = (r: { section: string; name: string }) => `${r.section}/${r.name}`;

export function rowsFrom(hp: Hyperparams | null): ParamRow[] {
  const rows: ParamRow[] = [];
  for (const [section, params] of Object.entries(hp ?? {})) {
    for (const [name, p] of Object.entries(params)) {
      rows.push({
        section,
        name,
        kind: paramKind(p.type, p.value),
        type: p.type ?? "",
        description: p.description ?? "",
        text: valueText(p.value),
        initial: valueText(p.value),
        added: false,
        removed: false,
      });
    }
  }
  return rows;
}

export function newRow(section: string, name: string, kind: ParamKind): ParamRow {
  return { section, name, kind, type: typeName(kind), description: "", text: "", initial: "", added: true, removed: false };
}

/** Why a new parameter cannot be added (empty name, a name already used), or null. */
export function addError(rows: ParamRow[], section: string, name: string): string | null {
  if (!section.trim()) return "Give the section (e.g. Args).";
  if (!name.trim()) return "Give the parameter a name.";
  const existing = rows.find((r) => r.section === section.trim() && r.name === name.trim());
  if (existing) {
    return `${section.trim()}/${name.trim()} already exists${existing.removed ? " (removed: press Keep to restore it)" : ""}.`;
  }
  return null;
}

/** The message for each row whose text is not a value of its type (by rowKey). */
export function rowErrors(rows: ParamRow[]): Map<string, string> {
  const errors = new Map<string, string>();
  for (const r of rows) {
    if (r.removed || untouched(r)) continue;
    const parsed = parseTyped(r.text, r.kind);
    if (!parsed.ok) errors.set(rowKey(r), parsed.error);
  }
  return errors;
}

const untouched = (r: ParamRow) => !r.added && r.text === r.initial;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The patch from ``original`` to ``rows``: changed and added parameters with their typed
 * values, removed ones as null. Errors (values of the wrong type) come back instead of a patch.
 */
export function buildPatch(
  original: Hyperparams | null,
  rows: ParamRow[],
): { patch: HyperparamsPatch; errors: string[] } {
  const patch: HyperparamsPatch = {};
  const errors: string[] = [];
  const put = (section: string, name: string, p: Hyperparam | null) => {
    (patch[section] ??= {})[name] = p;
  };
  for (const r of rows) {
    const before = original?.[r.section]?.[r.name];
    if (r.removed) {
      if (before && !r.added) put(r.section, r.name, null);
      continue;
    }
    const parsed = untouched(r) && before ? { ok: true as const, value: before.value } : parseTyped(r.text, r.kind);
    if (!parsed.ok) {
      errors.push(`${rowKey(r)}: ${parsed.error}`);
      continue;
    }
    const next: Hyperparam = { value: parsed.value, type: r.type, description: r.description };
    if (!before || !same(before.value, next.value) || (before.type ?? "") !== next.type || (before.description ?? "") !== next.description) {
      put(r.section, r.name, next);
    }
  }
  return { patch: errors.length ? {} : patch, errors };
}
