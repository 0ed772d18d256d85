// Filters on a metric's or a hyperparameter's value, evaluated by the hub: each is one
// `filter` query parameter of GET /tasks (and of the page's URL), ``KEY OP VALUE``:
//   KEY    metric:METRIC:VARIANT:last|min|max or param:SECTION:NAME (the sort keys' form,
//          each segment percent-encoded)
//   OP     >  >=  <  <=  =  !=
//   VALUE  a JSON value or bare text;  KEY=LO..HI is a range (either end may be empty),
//          KEY=["a","b"] a set and KEY!=[...] its complement.
// The page keeps the filters as the hub's text; this module reads and writes that text
// and says it in words for the chips.
import { parseColumn } from "./columns";

export const OPERATORS = [">", ">=", "<", "<=", "=", "!="] as const;
export type Operator = (typeof OPERATORS)[number];

export type ValueFilter =
  | { kind: "compare"; key: string; op: Operator; value: string }
  | { kind: "range"; key: string; lo: string; hi: string }
  | { kind: "set"; key: string; negate: boolean; values: SetValue[] };

export type SetValue = string | number | boolean | null;

/**
 * A column id as a filter key: ``!`` (which encodeURIComponent leaves alone) is written
 * %21 too, so that a name ending in ``!`` cannot run into a ``!=``.
 */
export function filterKey(columnId: string): string {
  return columnId.replace(/!/g, "%21");
}

/** Whether ``key`` names a metric summary or a hyperparameter. */
export function isFilterKey(key: string): boolean {
  const column = parseColumn(key);
  return column !== null && column.kind !== "builtin";
}

const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
export const isNumber = (text: string) => NUMBER.test(text.trim());

// the key has no space and no operator character (they are percent-encoded in it)
const FORM = /^([^\s<>=!]+)\s*(>=|<=|!=|>|<|=)\s*(.*)$/s;
const RANGE = /^(-?[\d.eE+-]*)\.\.(-?[\d.eE+-]*)$/;

/** The filter ``text`` says, or null when it is not one (the hub would refuse it too). */
export function parseFilter(text: string): ValueFilter | null {
  const m = FORM.exec(text.trim());
  if (!m) return null;
  const [, key, op, rawValue] = m;
  if (!isFilterKey(key)) return null;
  const value = rawValue.trim();
  if (op === "=" || op === "!=") {
    if (value.startsWith("[")) {
      try {
        const values: unknown = JSON.parse(value);
        if (Array.isArray(values) && values.every((v) => v === null || ["string", "number", "boolean"].includes(typeof v))) {
          return { kind: "set", key, negate: op === "!=", values: values as SetValue[] };
        }
      } catch {
        // bare text that starts with "["
      }
    }
    const range = op === "=" ? RANGE.exec(value) : null;
    if (range && [range[1], range[2]].every((end) => !end || isNumber(end))) {
      // ".." alone bounds nothing: the hub refuses it, and so does the page
      return range[1] || range[2] ? { kind: "range", key, lo: range[1], hi: range[2] } : null;
    }
  }
  if (!value) return null;
  return { kind: "compare", key, op: op as Operator, value };
}

/** The hub's text of ``f``. */
export function formatFilter(f: ValueFilter): string {
  switch (f.kind) {
    case "compare":
      return `${f.key}${f.op}${f.value.trim()}`;
    case "range":
      return `${f.key}=${f.lo.trim()}..${f.hi.trim()}`;
    case "set":
      return `${f.key}${f.negate ? "!=" : "="}${JSON.stringify(f.values)}`;
  }
}

/** Comma-separated values typed for a set: numbers, true/false/null as such, the rest as text. */
export function parseSetValues(text: string): SetValue[] {
  return text
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) => {
      if (isNumber(v)) return Number(v);
      if (v === "true" || v === "false") return v === "true";
      if (v === "null") return null;
      return v.replace(/^"(.*)"$/, "$1");
    });
}

export const formatSetValues = (values: SetValue[]) => values.map((v) => (v === null ? "null" : String(v))).join(", ");

/** The column label of a key ("loss/val (last)", "Args/lr"). */
export function keyLabel(key: string): string {
  return parseColumn(key)?.label ?? key;
}

/** ``f`` in words, for its chip. */
export function describeFilter(f: ValueFilter): string {
  const label = keyLabel(f.key);
  switch (f.kind) {
    case "compare":
      return `${label} ${f.op === "!=" ? "≠" : f.op === ">=" ? "≥" : f.op === "<=" ? "≤" : f.op} ${f.value}`;
    case "range":
      if (!f.lo) return `${label} ≤ ${f.hi}`;
      if (!f.hi) return `${label} ≥ ${f.lo}`;
      return `${label} in ${f.lo}…${f.hi}`;
    case "set":
      return `${label} ${f.negate ? "not in" : "in"} {${formatSetValues(f.values)}}`;
  }
}

/**
 * What is wrong with ``f`` before the hub is asked, or null: a metric compares as a
 * number, a range's ends are numbers (one at least), a set has members.
 */
export function checkFilter(f: ValueFilter): string | null {
  const metric = f.key.startsWith("metric:");
  switch (f.kind) {
    case "compare":
      if (!f.value.trim()) return "Enter a value.";
      if ((metric || !["=", "!="].includes(f.op)) && !isNumber(f.value)) return "Enter a number.";
      return null;
    case "range":
      if (!f.lo.trim() && !f.hi.trim()) return "Enter at least one end of the range.";
      if ([f.lo, f.hi].some((end) => end.trim() && !isNumber(end))) return "The ends of a range are numbers.";
      if (f.lo.trim() && f.hi.trim() && Number(f.lo) > Number(f.hi)) return "The range's start is past its end.";
      return null;
    case "set":
      if (!f.values.length) return "Enter at least one value.";
      if (metric && f.values.some((v) => typeof v !== "number")) return "A metric's values are numbers.";
      return null;
  }
}
