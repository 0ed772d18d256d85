// "Run again": the parameters the dialog edits as text, back to typed values (an int
// stays a number), and what changed, as the body of ``PATCH /tasks/{id}/hyperparams``.
import type { Hyperparam } from "../../api/types";
import { paramKind, parseTyped, valueText } from "../task/typedValue";

export interface ArgsEdit {
  /** the body's ``Args`` section: each changed parameter whole (value, type, description) */
  changed: Record<string, Hyperparam>;
  /** the parameters whose text is not a value of their type, with why */
  errors: Record<string, string>;
}

/** The text each parameter's field starts with. */
export function initialTexts(params: Record<string, Hyperparam>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([name, p]) => [name, valueText(p.value)]));
}

export function argsEdit(params: Record<string, Hyperparam>, texts: Record<string, string>): ArgsEdit {
  const changed: Record<string, Hyperparam> = {};
  const errors: Record<string, string> = {};
  for (const [name, p] of Object.entries(params)) {
    const text = texts[name] ?? valueText(p.value);
    if (text === valueText(p.value)) continue;
    const parsed = parseTyped(text, paramKind(p.type, p.value));
    if (!parsed.ok) errors[name] = parsed.error;
    // the type is sent again: a parameter sent without it loses it
    else changed[name] = { value: parsed.value, type: p.type, description: p.description };
  }
  return { changed, errors };
}
