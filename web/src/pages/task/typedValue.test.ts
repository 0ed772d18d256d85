import { describe, expect, it } from "vitest";
import { paramKind, parseTyped, typeName, valueText } from "./typedValue";

describe("paramKind", () => {
  it("reads the declared Python type", () => {
    expect(paramKind("int")).toBe("int");
    expect(paramKind("float", 1)).toBe("float");
    expect(paramKind("bool")).toBe("bool");
    expect(paramKind("str", 5)).toBe("str");
    expect(paramKind("typing.List[int]")).toBe("list");
    expect(paramKind("tuple")).toBe("list");
    expect(paramKind("dict")).toBe("dict");
    expect(paramKind("NoneType")).toBe("none");
    expect(paramKind("pathlib.Path")).toBe("any");
  });

  it("falls back to the type of the value", () => {
    expect(paramKind("", 3)).toBe("int");
    expect(paramKind(undefined, 0.5)).toBe("float");
    expect(paramKind("", true)).toBe("bool");
    expect(paramKind("", "x")).toBe("str");
    expect(paramKind("", [1])).toBe("list");
    expect(paramKind("", { a: 1 })).toBe("dict");
    expect(paramKind("", null)).toBe("any");
  });
});

describe("parseTyped", () => {
  it("keeps ints as numbers and refuses anything else", () => {
    expect(parseTyped("64", "int")).toEqual({ ok: true, value: 64 });
    expect(parseTyped(" -3 ", "int")).toEqual({ ok: true, value: -3 });
    expect(parseTyped("abc", "int")).toEqual({ ok: false, error: '"abc" is not an integer' });
    expect(parseTyped("1.5", "int").ok).toBe(false);
    expect(parseTyped("", "int").ok).toBe(false);
    expect(parseTyped("99999999999999999999", "int").ok).toBe(false);
  });

  it("reads floats, with exponents, and refuses words", () => {
    expect(parseTyped("0.01", "float")).toEqual({ ok: true, value: 0.01 });
    expect(parseTyped("1e-3", "float")).toEqual({ ok: true, value: 0.001 });
    expect(parseTyped("3", "float")).toEqual({ ok: true, value: 3 });
    expect(parseTyped(".5", "float")).toEqual({ ok: true, value: 0.5 });
    expect(parseTyped("fast", "float")).toEqual({ ok: false, error: '"fast" is not a number' });
    expect(parseTyped("1e999", "float").ok).toBe(false);
    expect(parseTyped("NaN", "float").ok).toBe(false);
  });

  it("reads booleans in the usual spellings", () => {
    expect(parseTyped("true", "bool")).toEqual({ ok: true, value: true });
    expect(parseTyped("False", "bool")).toEqual({ ok: true, value: false });
    expect(parseTyped("yes", "bool")).toEqual({ ok: true, value: true });
    expect(parseTyped("0", "bool")).toEqual({ ok: true, value: false });
    expect(parseTyped("maybe", "bool")).toEqual({ ok: false, error: '"maybe" is not true or false' });
  });

  it("keeps strings as typed, even when they look like numbers", () => {
    expect(parseTyped("42", "str")).toEqual({ ok: true, value: "42" });
    expect(parseTyped(" adam ", "str")).toEqual({ ok: true, value: " adam " });
  });

  it("parses lists and dicts from JSON, of the right shape", () => {
    expect(parseTyped("[1, 2]", "list")).toEqual({ ok: true, value: [1, 2] });
    expect(parseTyped('{"a": 1}', "dict")).toEqual({ ok: true, value: { a: 1 } });
    expect(parseTyped('{"a": 1}', "list").ok).toBe(false);
    expect(parseTyped("[1]", "dict").ok).toBe(false);
    expect(parseTyped("[1,", "list").ok).toBe(false);
    expect(parseTyped("null", "dict").ok).toBe(false);
  });

  it("reads None and untyped values", () => {
    expect(parseTyped("", "none")).toEqual({ ok: true, value: null });
    expect(parseTyped("x", "none").ok).toBe(false);
    expect(parseTyped("12", "any")).toEqual({ ok: true, value: 12 });
    expect(parseTyped("hello", "any")).toEqual({ ok: true, value: "hello" });
    expect(parseTyped("[1]", "any")).toEqual({ ok: true, value: [1] });
  });
});

describe("valueText and typeName", () => {
  it("round-trips values through their text", () => {
    for (const [value, kind] of [
      [32, "int"],
      [0.01, "float"],
      [false, "bool"],
      ["adam", "str"],
      [[1, "a"], "list"],
      [{ a: [1] }, "dict"],
    ] as const) {
      expect(parseTyped(valueText(value), kind)).toEqual({ ok: true, value });
    }
    expect(valueText(null)).toBe("");
  });

  it("names the type stored for a kind", () => {
    expect(typeName("int")).toBe("int");
    expect(typeName("any")).toBe("");
    expect(typeName("none")).toBe("NoneType");
  });
});
