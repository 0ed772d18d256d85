import { describe, expect, it } from "vitest";
import type { Hyperparams } from "../../api/types";
import { addError, buildPatch, newRow, rowErrors, rowsFrom } from "./paramsDraft";

const HP: Hyperparams = {
  Args: {
    lr: { value: 0.01, type: "float", description: "learning rate" },
    batch_size: { value: 32, type: "int", description: "" },
    augment: { value: false, type: "bool", description: "" },
  },
  General: { optimizer: { value: "adam", type: "str", description: "" } },
};

describe("rowsFrom", () => {
  it("lists every parameter as text with its kind", () => {
    const rows = rowsFrom(HP);
    expect(rows.map((r) => [r.section, r.name, r.kind, r.text])).toEqual([
      ["Args", "lr", "float", "0.01"],
      ["Args", "batch_size", "int", "32"],
      ["Args", "augment", "bool", "false"],
      ["General", "optimizer", "str", "adam"],
    ]);
    expect(rowsFrom(null)).toEqual([]);
  });
});

describe("buildPatch", () => {
  it("sends only what changed, with the values typed", () => {
    const rows = rowsFrom(HP);
    rows[1].text = "64";
    rows[2].text = "true";
    expect(buildPatch(HP, rows)).toEqual({
      patch: {
        Args: {
          batch_size: { value: 64, type: "int", description: "" },
          augment: { value: true, type: "bool", description: "" },
        },
      },
      errors: [],
    });
  });

  it("is empty when nothing changed", () => {
    expect(buildPatch(HP, rowsFrom(HP))).toEqual({ patch: {}, errors: [] });
  });

  it("adds new parameters and deletes removed ones", () => {
    const rows = rowsFrom(HP);
    rows[3].removed = true;
    const added = newRow("Args", "epochs", "int");
    added.text = "10";
    const dropped = newRow("Args", "tmp", "str");
    dropped.removed = true;
    const { patch } = buildPatch(HP, [...rows, added, dropped]);
    expect(patch).toEqual({
      General: { optimizer: null },
      Args: { epochs: { value: 10, type: "int", description: "" } },
    });
  });

  it("refuses values of the wrong type, with no patch", () => {
    const rows = rowsFrom(HP);
    rows[1].text = "abc";
    expect(buildPatch(HP, rows)).toEqual({ patch: {}, errors: ['Args/batch_size: "abc" is not an integer'] });
    expect(rowErrors(rows).get("Args/batch_size")).toBe('"abc" is not an integer');
  });
});

describe("untouched values", () => {
  it("keeps a stored value that is not of its type, unless it is edited", () => {
    const odd: Hyperparams = { Args: { n: { value: 1.5, type: "int", description: "" } } };
    const rows = rowsFrom(odd);
    expect(rowErrors(rows).size).toBe(0);
    rows[0].description = "steps";
    expect(buildPatch(odd, rows)).toEqual({
      patch: { Args: { n: { value: 1.5, type: "int", description: "steps" } } },
      errors: [],
    });
    rows[0].text = "2.5";
    expect(buildPatch(odd, rows).errors).toEqual(['Args/n: "2.5" is not an integer']);
  });
});

describe("addError", () => {
  it("wants a section, a name, and a name not in use", () => {
    const rows = rowsFrom(HP);
    expect(addError(rows, "", "x")).toMatch(/section/);
    expect(addError(rows, "Args", " ")).toMatch(/name/);
    expect(addError(rows, "Args", "lr")).toBe("Args/lr already exists.");
    expect(addError(rows, "Args", "epochs")).toBeNull();
  });
});
