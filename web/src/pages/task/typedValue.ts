// Hyperparameter values edited as text keep their type: "64" in an int field is sent
// as the number 64, "true" in a bool field as true. Text that is not a value of the
// field's type is refused with a message the editor shows.

export type ParamKind = "int" | "float" | "bool" | "str" | "list" | "dict" | "none" | "any";

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

const ALIASES: Record<string, ParamKind> = {
  int: "int",
  integer: "int",
  float: "float",
  double: "float",
  number: "float",
  bool: "bool",
  boolean: "bool",
  str: "str",
  string: "str",
  list: "list",
  tuple: "list",
  array: "list",
  dict: "dict",
  object: "dict",
  nonetype: "none",
  none: "none",
  null: "none",
};

/** The kind of a parameter: its declared Python type, else the type of its current value. */
export function paramKind(declared: string | undefined, value?: unknown): ParamKind {
  const name = (declared ?? "").trim().toLowerCase();
  // "typing.List[int]", "list[str]" -> list
  const base = name.replace(/^typing\./, "").split("[")[0];
  if (base && ALIASES[base]) return ALIASES[base];
  if (base) return "any";
  if (value === null || value === undefined) return "any";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "string") return "str";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object") return "dict";
  return "any";
}

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

function json(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, error: "is not valid JSON" };
  }
}

/**
 * Parse ``text`` as a value of ``kind``.
 *
 * >>> parseTyped("64", "int")
 * { ok: true, value: 64 }
 * >>> parseTyped("abc", "int")
 * { ok: false, error: '"abc" is not an integer' }
 */
export function parseTyped(text: string, kind: ParamKind): Parsed {
  const t = text.trim();
  const quoted = JSON.stringify(text.length > 40 ? text.slice(0, 40) + "…" : text);
  switch (kind) {
    case "str":
      return { ok: true, value: text };
    case "int": {
      if (!INT.test(t)) return { ok: false, error: `${quoted} is not an integer` };
      const n = Number(t);
      if (!Number.isSafeInteger(n)) return { ok: false, error: `${quoted} is too large for an integer` };
      return { ok: true, value: n };
    }
    case "float": {
      if (!FLOAT.test(t)) return { ok: false, error: `${quoted} is not a number` };
      const n = Number(t);
      if (!Number.isFinite(n)) return { ok: false, error: `${quoted} is out of range` };
      return { ok: true, value: n };
    }
    case "bool": {
      const lower = t.toLowerCase();
      if (TRUE.has(lower)) return { ok: true, value: true };
      if (FALSE.has(lower)) return { ok: true, value: false };
      return { ok: false, error: `${quoted} is not true or false` };
    }
    case "none":
      if (["", "null", "none"].includes(t.toLowerCase())) return { ok: true, value: null };
      return { ok: false, error: `${quoted} is not empty (None)` };
    case "list": {
      const p = json(t);
      if (!p.ok || !Array.isArray(p.value)) return { ok: false, error: "is not a JSON list, e.g. [1, 2]" };
      return p;
    }
    case "dict": {
      const p = json(t);
      if (!p.ok || p.value === null || typeof p.value !== "object" || Array.isArray(p.value)) {
        return { ok: false, error: 'is not a JSON object, e.g. {"a": 1}' };
      }
      return p;
    }
    case "any": {
      // JSON when it reads as JSON (numbers, true, lists...), else the text itself
      if (!t) return { ok: true, value: text };
      const p = json(t);
      return p.ok ? p : { ok: true, value: text };
    }
  }
}

/** A value as the text its editor starts with (strings bare, the rest as JSON). */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** The type name to store for a new parameter of ``kind``. */
export function typeName(kind: ParamKind): string {
  return kind === "any" ? "" : kind === "none" ? "NoneType" : kind;
}

export const KINDS: ParamKind[] = ["str", "int", "float", "bool", "list", "dict", "any"];
